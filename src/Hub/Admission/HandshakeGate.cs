using Microsoft.AspNetCore.Connections;
using PatrolHub.Grains.Telemetry;

namespace PatrolHub.Hub.Admission;

/// <summary>
/// Admits at most a set number of TLS handshakes at once: a connection past it is closed at once, before any
/// cryptography, so a reconnect storm costs refused sockets rather than handshakes that time out and come back.
/// <see cref="Enter"/> runs before TLS and <see cref="Leave"/> right after it; a handshake that fails leaves when its
/// connection closes.
/// </summary>
public sealed class HandshakeGate(int limit)
{
    private int _inProgress;

    public int InProgress => Volatile.Read(ref _inProgress);

    public async Task Enter(ConnectionContext connection, Func<Task> next)
    {
        if (Interlocked.Increment(ref _inProgress) > limit)
        {
            Interlocked.Decrement(ref _inProgress);
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

    private sealed class Ticket(HandshakeGate gate)
    {
        private int _left;

        public void Leave()
        {
            if (Interlocked.Exchange(ref _left, 1) == 0) Interlocked.Decrement(ref gate._inProgress);
        }
    }
}
