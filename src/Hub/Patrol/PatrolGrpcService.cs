using System.Threading.Channels;
using Grpc.Core;
using PatrolHub.Grains.Alerts;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Security;
using PatrolHub.Grains.Journal;
using PatrolHub.Grains.Telemetry;
using PatrolHub.Grains.Units;
using PatrolHub.Hub.Alerts;
using PatrolHub.Hub.Errors;
using PatrolHub.Hub.Live;
using PatrolHub.Hub.Mapping;
using PatrolHub.Hub.Security;
using PatrolHub.Hub.Telemetry;
using PatrolHub.V1;

namespace PatrolHub.Hub.Patrol;

/// <summary>A unit's one stream: positions up, acknowledgements and its feed down, through one writer.</summary>
internal sealed class PatrolGrpcService(IGrainFactory grains, FeedHub feeds, TimeProvider time, IHostApplicationLifetime lifetime)
    : PatrolService.PatrolServiceBase
{
    public override async Task Connect(IAsyncStreamReader<UnitMessage> requestStream, IServerStreamWriter<HubMessage> responseStream, ServerCallContext context)
    {
        var caller = IdentityInterceptor.Caller(context);
        if (!await requestStream.MoveNext(context.CancellationToken) || requestStream.Current.Hello is not { } hello)
            throw new RpcException(new Status(StatusCode.InvalidArgument, "the first message on the stream must be a hello naming the unit."));
        var unitId = UnitId.Parse(hello.UnitId);
        Authorize.Unit(caller, unitId);

        var grain = grains.Unit(unitId);
        using var subscription = await feeds.SubscribeAsync(Feed.ForUnit(unitId));
        var after = await feeds.StartingPointAsync(subscription, hello.ResumeFrom);
        var state = await grain.GetState();

        var outbound = Channel.CreateBounded<HubMessage>(new BoundedChannelOptions(256) { SingleReader = true });
        await outbound.Writer.WriteAsync(new HubMessage
        {
            Welcome = new Welcome
            {
                UnitId = unitId.Value,
                Sector = unitId.Sector.Value,
                Pair = state.Pair is { } pair ? ProtoMapper.ToProto(pair) : null,
                LastSequence = (ulong)state.LastSequence,
            },
        });

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        var writing = WriteAsync(outbound.Reader, responseStream, context.CancellationToken);
        var feeding = FeedAsync(subscription, unitId.Value, after, outbound.Writer, stop);
        try
        {
            await ReadAsync(requestStream, caller, grain, outbound.Writer, stop.Token);
        }
        catch (OperationCanceledException) when (feeding.IsFaulted)
        {
            // The feed overflowed; its status ends the call below.
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            throw ShuttingDown.Status();
        }
        finally
        {
            await stop.CancelAsync();
            await feeding.ContinueWith(_ => { }, TaskScheduler.Default);
            outbound.Writer.TryComplete();
            await writing;
        }

        await feeding;
    }

    private async Task ReadAsync(
        IAsyncStreamReader<UnitMessage> requests, Identity caller, IPatrolUnitGrain grain, ChannelWriter<HubMessage> outbound, CancellationToken cancellationToken)
    {
        await foreach (var message in requests.ReadAllAsync(cancellationToken))
        {
            var reply = message.BodyCase switch
            {
                UnitMessage.BodyOneofCase.Position => await RecordAsync(grain, message.Position),
                UnitMessage.BodyOneofCase.RaiseAlert => await ReplyAsync(message.RaiseAlert.RequestId, () => AlertRequests.RaiseAsync(grains, caller, message.RaiseAlert)),
                UnitMessage.BodyOneofCase.AlertAction => await ReplyAsync(message.AlertAction.RequestId, () => AlertRequests.ActAsync(grains, caller, message.AlertAction)),
                _ => throw new RpcException(new Status(StatusCode.InvalidArgument, "after the hello, a unit sends positions, alert raises and alert actions.")),
            };
            await outbound.WriteAsync(reply, cancellationToken);
        }
    }

    private async Task<HubMessage> RecordAsync(IPatrolUnitGrain grain, PositionUpdate update)
    {
        var started = time.GetTimestamp();
        var ack = await grain.Report(ProtoMapper.ToDomain(update));
        HubMetrics.AckLatency.Record(time.GetElapsedTime(started).TotalMilliseconds);
        return new HubMessage
        {
            Ack = new Ack
            {
                Sequence = (ulong)ack.Sequence,
                RecordedCursor = (ulong)ack.Cursor,
                RecordedAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(ack.RecordedAt),
            },
        };
    }

    /// <summary>An alert request on the stream is answered in-band: a refusal does not end the unit's stream.</summary>
    private static async Task<HubMessage> ReplyAsync(string requestId, Func<Task<AlertChanged>> request)
    {
        var reply = new AlertReply { RequestId = requestId };
        try
        {
            reply.Alert = AlertMapper.ToProto(await request());
        }
        catch (Exception e) when (ErrorInterceptor.ToRpcException(e) is { } refused)
        {
            reply.Code = (int)refused.StatusCode;
            reply.Message = refused.Status.Detail;
        }

        return new HubMessage { AlertReply = reply };
    }

    /// <summary>Copies the unit's feed to the outbound queue; a feed that fails (overflow) stops the whole call.</summary>
    private static async Task FeedAsync(FeedSubscription subscription, string unit, long after, ChannelWriter<HubMessage> outbound, CancellationTokenSource stop)
    {
        var cancellationToken = stop.Token;
        try
        {
            await foreach (var record in subscription.ReadAllAsync(after, cancellationToken))
            {
                using var delivery = AlertTracing.StartDelivery(record, unit);
                await outbound.WriteAsync(ProtoMapper.ToHubMessage(record), cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The call is ending.
        }
        catch (RpcException)
        {
            await stop.CancelAsync();
            throw;
        }
    }

    private async Task WriteAsync(ChannelReader<HubMessage> outbound, IServerStreamWriter<HubMessage> responses, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var message in outbound.ReadAllAsync(cancellationToken))
            {
                await responses.WriteAsync(message, cancellationToken);
                if (message.PartnerPosition?.RecordedAt is { } recorded)
                    HubMetrics.DeliveryLatency.Record((time.GetUtcNow() - recorded.ToDateTimeOffset()).TotalMilliseconds);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or InvalidOperationException or IOException)
        {
            // The client went away; the reader sees the same and ends the call.
        }
    }
}
