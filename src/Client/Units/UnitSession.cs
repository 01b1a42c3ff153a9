using System.Diagnostics;
using System.Threading.Channels;
using Grpc.Core;
using Grpc.Net.Client;
using PatrolHub.Client.Connection;
using PatrolHub.V1;

namespace PatrolHub.Client.Units;

/// <summary>
/// A patrol unit's connection to the hub that survives disconnects: it reconnects, resumes its feed after the
/// last cursor it saw, and resends every position not yet acknowledged, in order.
/// </summary>
public sealed class UnitSession : IAsyncDisposable
{
    private readonly PatrolService.PatrolServiceClient[] _clients;
    private readonly string _unitId;
    private readonly Channel<HubMessage> _events = Channel.CreateUnbounded<HubMessage>(new() { SingleWriter = true });
    private readonly SemaphoreSlim _send = new(1, 1);
    private readonly SortedDictionary<ulong, (PositionUpdate Update, TaskCompletionSource<Ack> Ack)> _unacked = [];
    private readonly Dictionary<string, TaskCompletionSource<AlertReply>> _replies = [];
    private readonly List<TimeSpan> _outages = [];
    private readonly Dictionary<string, int> _disconnects = [];
    private long _droppedAt;
    private readonly TaskCompletionSource<Welcome> _firstWelcome = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly Failover _failover;
    private AsyncDuplexStreamingCall<UnitMessage, HubMessage>? _call;
    private Exception? _ended;
    private Task _run = Task.CompletedTask;

    /// <param name="channel">A channel presenting this unit's identity.</param>
    /// <param name="unitId">The unit to publish as.</param>
    /// <param name="resumeFrom">Resume the feed after this cursor (0: live only).</param>
    public UnitSession(GrpcChannel channel, string unitId, ulong resumeFrom = 0)
        : this([channel], unitId, resumeFrom)
    {
    }

    /// <summary>A session over several silos of one cluster: when the connection to one fails, the session reconnects
    /// to the next and resumes from its cursors, as it would on the same one.</summary>
    public UnitSession(IReadOnlyList<GrpcChannel> channels, string unitId, ulong resumeFrom = 0)
    {
        _clients = [.. channels.Select(c => new PatrolService.PatrolServiceClient(c))];
        _failover = new Failover(_clients.Length);
        _unitId = unitId;
        Cursor = resumeFrom;
    }

    /// <summary>The hub address the session is on, or will try next.</summary>
    public int HubIndex => _failover.Current;

    /// <summary>The unit this session publishes as.</summary>
    public string UnitId => _unitId;

    /// <summary>The cursor of the last event received; a new session given it (and <see cref="DelayedCursor"/>) misses nothing.</summary>
    public ulong Cursor { get; private set; }

    /// <summary>Where the lane of partner positions the other nation delays stands (see <c>HubMessage.delayed_cursor</c>).</summary>
    public ulong DelayedCursor { get; private set; }

    /// <summary>Partner positions, pairing changes, alerts and warnings, in the order received. Completes, with the error if any, when the session ends.</summary>
    public ChannelReader<HubMessage> Events => _events.Reader;

    /// <summary>Ends when the session is disposed, or faults with the hub's refusal (for example PERMISSION_DENIED).</summary>
    public Task Completion => _run;

    /// <summary>The last position handed to <see cref="SendAsync"/>.</summary>
    public PositionUpdate? LastSent { get; private set; }

    /// <summary>How many times the session has reconnected.</summary>
    public int Reconnects { get; private set; }

    /// <summary>How long the session has been down, while it is: from the drop until a hub welcomes it back.</summary>
    public TimeSpan? Down => Volatile.Read(ref _droppedAt) is var dropped and not 0 ? Stopwatch.GetElapsedTime(dropped) : null;

    /// <summary>How long each time the session was down lasted: from the drop to the hub's welcome on reconnecting.</summary>
    public IReadOnlyList<TimeSpan> Outages
    {
        get
        {
            lock (_outages) return [.. _outages];
        }
    }

    /// <summary>How many times the hub refused the stream as overloaded (RESOURCE_EXHAUSTED) and the session waited as asked.</summary>
    public int Refusals { get; private set; }

    /// <summary>Why the connection last dropped, if it has.</summary>
    public Exception? LastDisconnect { get; private set; }

    /// <summary>Why the connection dropped or a reconnect failed, with how many times each; a session that lives for
    /// days keeps one count per reason, not one entry per drop.</summary>
    public IReadOnlyDictionary<string, int> Disconnects
    {
        get
        {
            lock (_disconnects) return new Dictionary<string, int>(_disconnects);
        }
    }

    /// <summary>Connects and returns the hub's welcome; throws <see cref="RpcException"/> if the hub refuses the unit, or
    /// if the hub's certificate is refused (<see cref="Retry.RefusedHub"/>).</summary>
    public async Task<Welcome> StartAsync(CancellationToken cancellationToken = default)
    {
        _run = RunAsync();
        return await _firstWelcome.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Sends a position; completes when the hub has durably recorded it.</summary>
    public async Task<Ack> SendAsync(PositionUpdate update, CancellationToken cancellationToken = default)
    {
        var ack = new TaskCompletionSource<Ack>(TaskCreationOptions.RunContinuationsAsynchronously);
        await _send.WaitAsync(cancellationToken);
        try
        {
            lock (_unacked)
            {
                // The hub's reason (revoked, replaced, refused) is what the caller needs to see.
                if (_ended is { } reason) throw reason is RpcException ? reason : new InvalidOperationException("The session has ended.", reason);
                _unacked[update.Sequence] = (update, ack);
            }

            LastSent = update;
            if (_call is { } call) await TryWriteAsync(call, new UnitMessage { Position = update });
        }
        finally
        {
            _send.Release();
        }

        return await ack.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Raises an alert over the stream. A refusal comes back in the reply (its code and message); it does
    /// not end the session. Not retried across a reconnect: if the connection drops first, this throws.</summary>
    public Task<AlertReply> RaiseAlertAsync(RaiseAlertRequest request, CancellationToken cancellationToken = default)
    {
        request.RequestId = Guid.NewGuid().ToString("N");
        return RequestAsync(request.RequestId, new UnitMessage { RaiseAlert = request }, cancellationToken);
    }

    /// <summary>Acknowledges an alert, or marks it responding, over the stream.</summary>
    public Task<AlertReply> AlertActionAsync(string alertId, AlertAction.Types.Kind kind, CancellationToken cancellationToken = default)
    {
        var action = new AlertAction { RequestId = Guid.NewGuid().ToString("N"), AlertId = alertId, Kind = kind };
        return RequestAsync(action.RequestId, new UnitMessage { AlertAction = action }, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _run;
        }
        catch (RpcException)
        {
            // Already surfaced through Completion.
        }

        _stop.Dispose();
        _send.Dispose();
    }

    private async Task RunAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                using var call = _clients[_failover.Current].Connect(cancellationToken: _stop.Token);
                await call.RequestStream.WriteAsync(new UnitMessage
                {
                    Hello = new Hello { UnitId = _unitId, ResumeFrom = Cursor, ResumeDelayedFrom = DelayedCursor },
                });
                await foreach (var message in call.ResponseStream.ReadAllAsync(_stop.Token))
                {
                    switch (message.BodyCase)
                    {
                        case HubMessage.BodyOneofCase.Welcome:
                            Cursor = Math.Max(Cursor, message.Cursor);
                            DelayedCursor = Math.Max(DelayedCursor, message.DelayedCursor);
                            await ResendAsync(call);
                            _failover.Succeeded();
                            if (Interlocked.Exchange(ref _droppedAt, 0) is var dropped and not 0)
                            {
                                lock (_outages) _outages.Add(Stopwatch.GetElapsedTime(dropped));
                            }

                            _firstWelcome.TrySetResult(message.Welcome);
                            break;
                        case HubMessage.BodyOneofCase.Ack:
                            Acknowledge(message.Ack);
                            break;
                        case HubMessage.BodyOneofCase.AlertReply:
                            Reply(message.AlertReply);
                            break;
                        default:
                            Cursor = Math.Max(Cursor, message.Cursor);
                            DelayedCursor = Math.Max(DelayedCursor, message.DelayedCursor);
                            _events.Writer.TryWrite(message);
                            break;
                    }
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                break;
            }
            catch (RpcException e) when (_stop.IsCancellationRequested && e.StatusCode == StatusCode.Cancelled)
            {
                break;
            }
            catch (RpcException e) when (!Retry.RidesOut(e, reached: _firstWelcome.Task.IsCompleted))
            {
                End(e);
                throw;
            }
            catch (Exception e) when (e is RpcException or IOException or HttpRequestException)
            {
                // Transient: reconnect below, to the next address if there are several, and resume.
                LastDisconnect = e;
                lock (_disconnects) _disconnects[e.Message] = _disconnects.GetValueOrDefault(e.Message) + 1;
                if (e is RpcException { StatusCode: StatusCode.ResourceExhausted }) Refusals++;
            }
            finally
            {
                await DetachAsync();
            }

            Reconnects++;
            Interlocked.CompareExchange(ref _droppedAt, Stopwatch.GetTimestamp(), 0);
            try
            {
                await Task.Delay(_failover.Failed(LastDisconnect), _stop.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        End(null);
    }

    private async Task<AlertReply> RequestAsync(string requestId, UnitMessage message, CancellationToken cancellationToken)
    {
        var reply = new TaskCompletionSource<AlertReply>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_replies) _replies[requestId] = reply;
        await _send.WaitAsync(cancellationToken);
        try
        {
            if (_call is not { } call) throw new InvalidOperationException("The session is not connected; try again once it reconnects.");
            await call.RequestStream.WriteAsync(message, cancellationToken);
        }
        catch
        {
            lock (_replies) _replies.Remove(requestId);
            throw;
        }
        finally
        {
            _send.Release();
        }

        return await reply.Task.WaitAsync(cancellationToken);
    }

    private void Reply(AlertReply reply)
    {
        TaskCompletionSource<AlertReply>? pending;
        lock (_replies)
        {
            if (!_replies.Remove(reply.RequestId, out pending)) return;
        }

        pending.TrySetResult(reply);
    }

    private async Task ResendAsync(AsyncDuplexStreamingCall<UnitMessage, HubMessage> call)
    {
        await _send.WaitAsync();
        try
        {
            _call = call;
            List<PositionUpdate> unacked;
            lock (_unacked) unacked = [.. _unacked.Values.Select(v => v.Update)];
            foreach (var update in unacked) await TryWriteAsync(call, new UnitMessage { Position = update });
        }
        finally
        {
            _send.Release();
        }
    }

    private async Task DetachAsync()
    {
        await _send.WaitAsync();
        _call = null;
        _send.Release();
        lock (_replies)
        {
            foreach (var reply in _replies.Values) reply.TrySetException(new IOException("The connection to the hub dropped before the reply arrived."));
            _replies.Clear();
        }
    }

    private void Acknowledge(Ack ack)
    {
        // Every position gets its own ack, in order; one still waiting below this one waits for its own.
        (PositionUpdate Update, TaskCompletionSource<Ack> Ack) pending;
        lock (_unacked)
        {
            if (!_unacked.Remove(ack.Sequence, out pending)) return;
        }

        pending.Ack.TrySetResult(ack);
    }

    private static async Task TryWriteAsync(AsyncDuplexStreamingCall<UnitMessage, HubMessage> call, UnitMessage message)
    {
        try
        {
            await call.RequestStream.WriteAsync(message);
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException or IOException)
        {
            // The call is breaking; the reconnect resends everything unacknowledged.
        }
    }

    private void End(RpcException? error)
    {
        lock (_unacked)
        {
            _ended = error ?? (Exception)new OperationCanceledException("The session was disposed.");
            foreach (var (_, ack) in _unacked.Values)
                ack.TrySetException(error ?? (Exception)new OperationCanceledException("The session ended before the hub acknowledged this position."));
            _unacked.Clear();
        }

        _firstWelcome.TrySetException(error ?? (Exception)new OperationCanceledException("The session ended before the hub welcomed it."));
        _events.Writer.TryComplete(error);
    }
}
