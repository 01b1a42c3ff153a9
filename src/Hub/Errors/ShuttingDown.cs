using Grpc.Core;

namespace PatrolHub.Hub.Errors;

/// <summary>Streams end promptly when the hub stops, with a status clients treat as "reconnect and resume".</summary>
internal static class ShuttingDown
{
    public static RpcException Status() =>
        new(new Grpc.Core.Status(StatusCode.Unavailable, "the hub is shutting down; reconnect and resume from your last cursor."));
}
