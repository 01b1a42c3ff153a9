using Microsoft.AspNetCore.Connections;
using PatrolHub.Grains.Telemetry;

namespace PatrolHub.Hub.Admission;

/// <summary>
/// Admits at most a set number of TLS handshakes at once, counting a connection from its first bytes (its ClientHello),
/// not from when it opened: one that has not begun holds no slot. A connection past it waits its turn in a bounded queue;
/// past the queue, or once it has waited its time, it is closed before any cryptography. So a reconnect storm is
/// served in order at the pace the hub can handshake, and what it cannot take costs a refused socket, never a
/// handshake that times out and comes back. <see cref="Enter"/> runs before TLS and <see cref="Leave"/> right after
/// it; a handshake that fails leaves when its connection closes.
/// </summary>
public sealed class HandshakeGate(int limit, int queue, TimeSpan wait) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(limit, limit);
    private int _waiting;
    private int _awaitingHello;

    public int InProgress => limit - _slots.CurrentCount;

    /// <summary>Connections open but not yet begun their handshake; they hold no slot.</summary>
    public int AwaitingHello => Volatile.Read(ref _awaitingHello);

    public async Task Enter(ConnectionContext connection, Func<Task> next)
    {
        if (!await HelloAsync(connection))
        {
            connection.Abort(new ConnectionAbortedException($"no TLS ClientHello within {wait.TotalSeconds:0.#} s."));
            return;
        }

        if (!_slots.Wait(0) && !await QueueAsync(connection.ConnectionClosed))
        {
            HubMetrics.AdmissionRefusals.Add(1, new KeyValuePair<string, object?>("limit", "handshakes"));
            connection.Abort(new ConnectionAbortedException($"more than {limit} TLS handshakes in progress; try again shortly."));
            return;
        }

        var ticket = new Ticket(this);
        connection.Features.Set(ticket);
        try
        {
            await next();
        }
        finally
        {
            ticket.Leave();
        }
    }

    public Task Leave(ConnectionContext connection, Func<Task> next)
    {
        connection.Features.Get<Ticket>()?.Leave();
        return next();
    }

    public void Dispose() => _slots.Dispose();

    /// <summary>Waits, without a slot, for the client's first bytes (its ClientHello) and leaves them unread for TLS.
    /// A client slow to begin, as one on an overloaded machine is, holds no slot that a ready one could use.</summary>
    private async Task<bool> HelloAsync(ConnectionContext connection)
    {
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed);
        waiting.CancelAfter(wait);
        Interlocked.Increment(ref _awaitingHello);
        try
        {
            var read = await connection.Transport.Input.ReadAsync(waiting.Token);
            connection.Transport.Input.AdvanceTo(read.Buffer.Start);
            return !read.Buffer.IsEmpty;
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // Silent past the wait, or reset by the client.
            return false;
        }
        finally
        {
            Interlocked.Decrement(ref _awaitingHello);
        }
    }

    private async Task<bool> QueueAsync(CancellationToken closed)
    {
        if (Interlocked.Increment(ref _waiting) > queue)
        {
            Interlocked.Decrement(ref _waiting);
            return false;
        }

        try
        {
            return await _slots.WaitAsync(wait, closed);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    private sealed class Ticket(HandshakeGate gate)
    {
        private int _left;

        public void Leave()
        {
            if (Interlocked.Exchange(ref _left, 1) == 0) gate._slots.Release();
        }
    }
}
