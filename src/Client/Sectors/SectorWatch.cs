using System.Runtime.CompilerServices;
using Grpc.Core;
using Grpc.Net.Client;
using PatrolHub.Client.Connection;
using PatrolHub.V1;

namespace PatrolHub.Client.Sectors;

/// <summary>Watches a sector: a snapshot, then every change; reconnects and resumes after the last cursors seen. Given
/// several hubs (a cluster's silos), it moves to the next one when its hub fails.</summary>
public sealed class SectorWatch(IReadOnlyList<GrpcChannel> channels, string sector, ulong resumeFrom = 0, ulong resumeDelayedFrom = 0)
{
    private readonly CommandService.CommandServiceClient[] _clients = [.. channels.Select(c => new CommandService.CommandServiceClient(c))];
    private readonly Failover _failover = new(channels.Count);

    public SectorWatch(GrpcChannel channel, string sector, ulong resumeFrom = 0, ulong resumeDelayedFrom = 0)
        : this([channel], sector, resumeFrom, resumeDelayedFrom)
    {
    }

    /// <summary>Which of the hubs the watch is on (an index into the channels it was given).</summary>
    public int HubIndex => _failover.Current;

    /// <summary>The cursor of the last update received.</summary>
    public ulong Cursor { get; private set; } = resumeFrom;

    /// <summary>Where the lane of positions the other nation delays stands (see <c>SectorUpdate.delayed_cursor</c>).</summary>
    public ulong DelayedCursor { get; private set; } = resumeDelayedFrom;

    /// <summary>Updates until cancelled; throws <see cref="RpcException"/> when the hub refuses the watch, or when the
    /// hub's certificate is refused before the watch has reached it once (<see cref="Retry.RefusedHub"/>).</summary>
    public async IAsyncEnumerable<SectorUpdate> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        RpcException? failure = null;
        var reached = false;
        while (!cancellationToken.IsCancellationRequested)
        {
            using var call = _clients[_failover.Current].WatchSector(
                new WatchSectorRequest { Sector = sector, ResumeFrom = Cursor, ResumeDelayedFrom = DelayedCursor },
                cancellationToken: cancellationToken);
            var stream = call.ResponseStream;
            while (true)
            {
                SectorUpdate update;
                try
                {
                    if (!await stream.MoveNext(cancellationToken)) break;
                    update = stream.Current;
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
                {
                    yield break;
                }
                catch (RpcException e) when (Retry.RidesOut(e, reached))
                {
                    failure = e;
                    break;
                }

                _failover.Succeeded();
                reached = true;
                Cursor = Math.Max(Cursor, update.Cursor);
                DelayedCursor = Math.Max(DelayedCursor, update.DelayedCursor);
                yield return update;
            }

            await Task.Delay(_failover.Failed(failure), cancellationToken);
        }
    }
}
