namespace PatrolHub.Client.Connection;

/// <summary>
/// Sizes the process's shared array pool for thousands of TLS connections at once: a hub's units, or the fleet
/// <c>simulate</c> drives. TLS and HTTP/2 rent a 16 KB buffer from <see cref="System.Buffers.ArrayPool{T}.Shared"/>
/// for each message a connection receives and return it once the message is read. The pool keeps 32 arrays of a size
/// per core, far fewer than the connections holding one at a busy moment, so most rents missed and allocated anew: at
/// 4,000 units that churn was a tenth of the load client's CPU, and its collections put hundreds of milliseconds on the
/// hub's and the client's tail latency.
/// </summary>
public static class SharedBuffers
{
    private const string Variable = "DOTNET_SYSTEM_BUFFERS_SHAREDARRAYPOOL_MAXARRAYSPERPARTITION";

    /// <summary>Arrays of a size kept per core. The pool trims what goes unused when memory runs short.</summary>
    private const string ArraysPerCore = "1024";

    /// <summary>Call first thing in <c>Main</c>: the pool reads its size once, when first used. An operator's own
    /// setting of the variable wins.</summary>
    public static void SizeForManyConnections()
    {
        if (Environment.GetEnvironmentVariable(Variable) is null) Environment.SetEnvironmentVariable(Variable, ArraysPerCore);
    }
}
