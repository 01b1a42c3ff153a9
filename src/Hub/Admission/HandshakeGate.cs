using Microsoft.AspNetCore.Connections;
using PatrolHub.Grains.Telemetry;

namespace PatrolHub.Hub.Admission;

/// <summary>
/// Admits at most a set number of TLS handshakes at once. A connection past it waits its turn in a short, bounded queue;
/// past the queue, or once it has waited its time, it is closed before any cryptography. So a reconnect storm is
/// served in order at the pace the hub can handshake, and what it cannot take costs a refused socket, never a
/// handshake that times out and comes back. <see cref="Enter"/> runs before TLS and <see cref="Leave"/> right after
/// it; a handshake that fails leaves when its connection closes.
/// </summary>
public sealed class HandshakeGate(int limit, int queue, TimeSpan wait) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(limit, limit);
    private int _waiting;

    public int InProgress => limit - _slots.CurrentCount;

    public async Task Enter(ConnectionContext connection, Func<Task> next)
    {
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
