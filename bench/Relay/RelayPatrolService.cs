using System.Threading.Channels;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using PatrolHub.V1;

namespace PatrolHub.Relay;

/// <summary>A unit's stream: each position is acknowledged at once and queued to the partner's stream, one writer per stream.</summary>
internal sealed class RelayPatrolService(Relay relay) : PatrolService.PatrolServiceBase
{
    public override async Task Connect(IAsyncStreamReader<UnitMessage> requestStream, IServerStreamWriter<HubMessage> responseStream, ServerCallContext context)
    {
        if (!await requestStream.MoveNext(context.CancellationToken) || requestStream.Current.Hello is not { } hello)
            throw new RpcException(new Status(StatusCode.InvalidArgument, "the first message on the stream must be a hello naming the unit."));
        var unit = hello.UnitId;
        var outbound = Channel.CreateBounded<HubMessage>(new BoundedChannelOptions(1024) { SingleReader = true });
        relay.Connected[unit] = outbound.Writer;
        var sector = unit.Split('-')[1];
        relay.Partners.TryGetValue(unit, out var partner);
        var welcome = new Welcome { UnitId = unit, Sector = sector, LastSequence = relay.LastSequence.GetValueOrDefault(unit) };
        if (partner is not null) welcome.Pair = relay.Pairs.Values.FirstOrDefault(p => p.State == PairState.Active && (p.UsUnit == unit || p.MxUnit == unit));
        outbound.Writer.TryWrite(new HubMessage { Welcome = welcome });

        var writing = WriteAsync(outbound.Reader, responseStream, context.CancellationToken);
        try
        {
            await foreach (var message in requestStream.ReadAllAsync(context.CancellationToken))
            {
                if (message.Position is not { } update) continue;
                relay.LastSequence[unit] = update.Sequence;
                var cursor = relay.NextCursor();
                var now = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow);
                await outbound.Writer.WriteAsync(new HubMessage { Ack = new Ack { Sequence = update.Sequence, RecordedCursor = cursor, RecordedAt = now } });
                if (relay.Partners.TryGetValue(unit, out partner) && relay.Connected.TryGetValue(partner, out var target))
                {
                    target.TryWrite(new HubMessage
                    {
                        Cursor = cursor,
                        PartnerPosition = new Position
                        {
                            UnitId = unit, Sector = sector, Sequence = update.Sequence, GnssTime = update.GnssTime, RecordedAt = now,
                            Latitude = update.Latitude, Longitude = update.Longitude, AccuracyM = update.AccuracyM,
                            HeadingDeg = update.HeadingDeg, SpeedMps = update.SpeedMps, Status = update.Status,
                        },
                    });
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The unit went away.
        }
        finally
        {
            relay.Connected.TryRemove(new KeyValuePair<string, ChannelWriter<HubMessage>>(unit, outbound.Writer));
            outbound.Writer.TryComplete();
            await writing;
        }
    }

    private static async Task WriteAsync(ChannelReader<HubMessage> outbound, IServerStreamWriter<HubMessage> responses, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var message in outbound.ReadAllAsync(cancellationToken)) await responses.WriteAsync(message, cancellationToken);
        }
        catch (Exception e) when (e is OperationCanceledException or InvalidOperationException or IOException)
        {
            // The unit went away.
        }
    }
}
