using System.Collections.Concurrent;
using System.Threading.Channels;
using PatrolHub.V1;

namespace PatrolHub.Relay;

/// <summary>What the relay holds in memory: pairs, each unit's last sequence, and the outbound queue of each connected unit.</summary>
internal sealed class Relay
{
    private long _cursor;
    private int _pairs;

    public ConcurrentDictionary<string, Pair> Pairs { get; } = new();

    /// <summary>Each unit's partner while paired.</summary>
    public ConcurrentDictionary<string, string> Partners { get; } = new();

    public ConcurrentDictionary<string, ulong> LastSequence { get; } = new();

    public ConcurrentDictionary<string, ChannelWriter<HubMessage>> Connected { get; } = new();

    public ulong NextCursor() => (ulong)Interlocked.Increment(ref _cursor);

    public string NextPairId(string sector) => $"{sector}-P{Interlocked.Increment(ref _pairs):D4}";
}
