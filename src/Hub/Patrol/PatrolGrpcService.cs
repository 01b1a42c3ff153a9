using System.Threading.Channels;
using Grpc.Core;
using Microsoft.Extensions.Options;
using PatrolHub.Grains.Alerts;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Security;
using PatrolHub.Grains.Journal;
using PatrolHub.Grains.Telemetry;
using PatrolHub.Grains.Units;
using PatrolHub.Hub.Admission;
using PatrolHub.Hub.Alerts;
using PatrolHub.Hub.Errors;
using PatrolHub.Hub.Hosting;
using PatrolHub.Hub.Live;
using PatrolHub.Hub.Mapping;
using PatrolHub.Hub.Security;
using PatrolHub.Hub.Telemetry;
using PatrolHub.V1;

namespace PatrolHub.Hub.Patrol;

/// <summary>A unit's one stream: positions up, acknowledgements and its feed down, through one writer.</summary>
internal sealed class PatrolGrpcService(
    IGrainFactory grains, FeedHub feeds, CallerLimits limits, Releases releases, SecurityAudit audit, TimeProvider time,
    IHostApplicationLifetime lifetime, IOptions<HubOptions> options)
    : PatrolService.PatrolServiceBase
{
    private static readonly WriteOptions Buffered = new(WriteFlags.BufferHint);

    public override async Task Connect(IAsyncStreamReader<UnitMessage> requestStream, IServerStreamWriter<HubMessage> responseStream, ServerCallContext context)
    {
        var caller = CallerAuthentication.Of(context);
        if (!await requestStream.MoveNext(context.CancellationToken) || requestStream.Current.Hello is not { } hello)
            throw new RpcException(new Status(StatusCode.InvalidArgument, "the first message on the stream must be a hello naming the unit."));
        var unitId = UnitId.Parse(hello.UnitId);
        Access.DemandSelf(caller, unitId);

        var grain = grains.Unit(unitId);
        using var subscription = await feeds.SubscribeAsync(Feed.ForUnit(unitId));
        var feed = new ReleasedFeed(subscription, caller, releases, time, "stream");
        var after = await feeds.StartingPointAsync(subscription, hello.ResumeFrom);
        var delayedAfter = hello.ResumeDelayedFrom == 0
            ? await feed.DelayedStartAsync(after, time.GetUtcNow(), context.CancellationToken)
            : await feeds.StartingPointAsync(subscription, hello.ResumeDelayedFrom, "resume_delayed_from");
        var state = await grain.GetState();

        var outbound = Channel.CreateBounded<HubMessage>(new BoundedChannelOptions(256) { SingleReader = true });
        await outbound.Writer.WriteAsync(new HubMessage
        {
            Cursor = (ulong)after,
            DelayedCursor = (ulong)delayedAfter,
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
        var feeding = FeedAsync(feed, caller, after, delayedAfter, outbound.Writer, stop);
        try
        {
            await ReadAsync(requestStream, caller, grain, outbound.Writer, stop);
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

    /// <summary>Reads the unit's messages into a queue of <see cref="HubOptions.UnitWindow"/>; the recorder takes from it.
    /// When the queue is full, reading stops, and HTTP/2 flow control holds the unit back: back-pressure, nothing dropped.
    /// What was read before a bad message or the end of the stream is still recorded and acknowledged.</summary>
    private async Task ReadAsync(
        IAsyncStreamReader<UnitMessage> requests, Identity caller, IPatrolUnitGrain grain, ChannelWriter<HubMessage> outbound, CancellationTokenSource stop)
    {
        // The recorder runs on the reader's thread when it was waiting, rather than as one more thread-pool hop per
        // position: it only hands the positions to the grain and awaits.
        var inbound = Channel.CreateBounded<Inbound>(
            new BoundedChannelOptions(options.Value.UnitWindow) { SingleReader = true, SingleWriter = true, AllowSynchronousContinuations = true });
        var recording = RecordAsync(inbound.Reader, caller, grain, outbound, stop);
        try
        {
            await foreach (var message in requests.ReadAllAsync(stop.Token))
            {
                if (message.BodyCase == UnitMessage.BodyOneofCase.Position) limits.Position(caller);
                var item = message.BodyCase switch
                {
                    UnitMessage.BodyOneofCase.Position => new Inbound(ProtoMapper.ToDomain(message.Position), null),
                    UnitMessage.BodyOneofCase.RaiseAlert or UnitMessage.BodyOneofCase.AlertAction => new Inbound(null, message),
                    _ => throw new RpcException(new Status(StatusCode.InvalidArgument, "after the hello, a unit sends positions, alert raises and alert actions.")),
                };
                await inbound.Writer.WriteAsync(item, stop.Token);
            }
        }
        catch (OperationCanceledException) when (recording.IsFaulted)
        {
            // The recorder refused a message; its status ends the call below.
        }
        finally
        {
            inbound.Writer.TryComplete();
            await recording;
        }
    }

    /// <summary>Records what the unit sent, in order: the positions that queued up while the last ones were being
    /// recorded go to the grain in one call (one append), an alert request on its own. An error stops the reader too.</summary>
    private async Task RecordAsync(
        ChannelReader<Inbound> inbound, Identity caller, IPatrolUnitGrain grain, ChannelWriter<HubMessage> outbound, CancellationTokenSource stop)
    {
        var positions = new List<PositionReport>();
        try
        {
            while (await inbound.WaitToReadAsync(stop.Token))
            {
                while (inbound.TryRead(out var item))
                {
                    if (item.Position is { } position)
                    {
                        positions.Add(position);
                        continue;
                    }

                    await RecordPositionsAsync(grain, positions, outbound, stop.Token);
                    await outbound.WriteAsync(await AlertRequestAsync(caller, item.Request!), stop.Token);
                }

                await RecordPositionsAsync(grain, positions, outbound, stop.Token);
            }
        }
        catch
        {
            await stop.CancelAsync();
            throw;
        }
    }

    private Task<HubMessage> AlertRequestAsync(Identity caller, UnitMessage message) => message.BodyCase == UnitMessage.BodyOneofCase.RaiseAlert
        ? ReplyAsync(caller, message.RaiseAlert.RequestId, () => AlertRequests.RaiseAsync(grains, limits, caller, message.RaiseAlert))
        : ReplyAsync(caller, message.AlertAction.RequestId, () => AlertRequests.ActAsync(grains, releases, caller, message.AlertAction));

    /// <summary>Records the positions waiting, acknowledging each once durable; the first the grain will not take in a
    /// batch goes alone, to be acknowledged as a repeat or refused with what is wrong.</summary>
    private async Task RecordPositionsAsync(IPatrolUnitGrain grain, List<PositionReport> positions, ChannelWriter<HubMessage> outbound, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var done = 0;
        try
        {
            while (done < positions.Count)
            {
                var acks = await grain.ReportMany(done == 0 ? positions : positions[done..]);
                if (acks.Count == 0) acks = [await grain.Report(positions[done])];
                for (var i = 0; i < acks.Count; i++) await outbound.WriteAsync(ToMessage(acks[i]), cancellationToken);
                done += acks.Count;
            }
        }
        finally
        {
            positions.RemoveRange(0, done);
        }

        if (done > 0) HubMetrics.AckLatency.Record(time.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>A message read from the unit: a position already mapped to the domain, or an alert request.</summary>
    private sealed record Inbound(PositionReport? Position, UnitMessage? Request);

    private static HubMessage ToMessage(PositionAck ack) => new()
    {
        Ack = new Ack
        {
            Sequence = (ulong)ack.Sequence,
            RecordedCursor = (ulong)ack.Cursor,
            RecordedAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(ack.RecordedAt),
        },
    };

    /// <summary>An alert request on the stream is answered in-band: a refusal does not end the unit's stream. A denial
    /// is audited as a denied call is.</summary>
    private async Task<HubMessage> ReplyAsync(Identity caller, string requestId, Func<Task<AlertChanged>> request)
    {
        var reply = new AlertReply { RequestId = requestId.Length <= Fields.MaxRequestId ? requestId : "" };
        try
        {
            Fields.RequestId(requestId);
            reply.Alert = AlertRequests.Reply(releases, caller, await request());
        }
        catch (Exception e) when (ErrorInterceptor.ToRpcException(e) is { } refused)
        {
            reply.Code = (int)refused.StatusCode;
            reply.Message = refused.Status.Detail;
            if (refused.StatusCode == StatusCode.PermissionDenied) audit.Record(SecurityEvent.Denied, caller, $"Connect (alert request): {refused.Status.Detail}");
        }

        return new HubMessage { AlertReply = reply };
    }

    /// <summary>Copies the unit's feed to the outbound queue; a feed that fails (overflow) stops the whole call.</summary>
    private static async Task FeedAsync(
        ReleasedFeed feed, Identity caller, long after, long delayedAfter, ChannelWriter<HubMessage> outbound, CancellationTokenSource stop)
    {
        var cancellationToken = stop.Token;
        try
        {
            await feed.RunAsync(after, delayedAfter, async (given, cancellationToken) =>
            {
                using var delivery = AlertTracing.StartDelivery(given.Recorded, caller.Name);
                await outbound.WriteAsync(ProtoMapper.ToHubMessage(given), cancellationToken);
            }, cancellationToken);
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
            // Without the token, the channel's one reader reuses a single wait instead of allocating one per message;
            // the call completes the queue when it ends, which ends this loop.
            while (await outbound.WaitToReadAsync(CancellationToken.None))
            {
                while (outbound.TryRead(out var message))
                {
                    // Messages queued together (a batch's acks, a partner position beside them) go out in one flush,
                    // one socket send, rather than one each; the more the hub has to send, the fewer sends per message.
                    responses.WriteOptions = outbound.TryPeek(out _) ? Buffered : null;
                    await responses.WriteAsync(message, cancellationToken);
                    if (message.PartnerPosition?.RecordedAt is { } recorded)
                        HubMetrics.DeliveryLatency.Record((time.GetUtcNow() - recorded.ToDateTimeOffset()).TotalMilliseconds);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or InvalidOperationException or IOException)
        {
            // The client went away; the reader sees the same and ends the call.
        }
    }
}
