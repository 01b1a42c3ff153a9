using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;
using PatrolHub.Client.Pki;
using PatrolHub.Grains.Journal;
using PatrolHub.Hub.Hosting;

namespace PatrolHub.Hub.Security;

/// <summary>
/// The serials of revoked client certificates, from the file <see cref="SecurityOptions.RevocationList"/> names. The
/// hub looks at the file every <see cref="SecurityOptions.RevocationCheckInterval"/>, so a certificate added to it is
/// refused on its next call, and <see cref="Revoked"/> tells whoever holds its open streams to end them. A line that is
/// not a serial is reported and skipped; the others still count. On a PostgreSQL journal (a cluster's), each silo also
/// adds its file's serials to the database's list and refuses every serial listed there, checked every
/// <see cref="SharedCheckInterval"/>: a certificate revoked on one silo's machine is refused by all within about a second.
/// </summary>
public sealed partial class RevocationList(
    IOptions<SecurityOptions> options, IOptions<HubOptions> hub, SqlJournal journal, TimeProvider time, ILogger<RevocationList> logger)
    : BackgroundService
{
    public static readonly TimeSpan SharedCheckInterval = TimeSpan.FromSeconds(1);

    private readonly PostgresJournal? _cluster = journal as PostgresJournal;
    private IReadOnlySet<string> _file = new HashSet<string>();
    private IReadOnlySet<string> _shared = new HashSet<string>();
    private HashSet<string> _serials = [];
    private (DateTime Written, long Length)? _seen;

    public string Path { get; } = System.IO.Path.GetFullPath(options.Value.RevocationList ?? System.IO.Path.Combine(hub.Value.DataPath, "revoked.txt"));

    /// <summary>Serials newly listed; raised on the watcher's thread.</summary>
    public event Action<IReadOnlySet<string>>? Revoked;

    public bool IsRevoked(X509Certificate2 certificate) => _serials.Count > 0 && _serials.Contains(RevocationFile.SerialOf(certificate));

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        Refresh();
        await ShareAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RevocationCheckInterval, time);
        var shared = time.GetTimestamp();
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                Refresh();
                if (_cluster is null || time.GetElapsedTime(shared) < SharedCheckInterval) continue;
                await ShareAsync(stoppingToken);
                shared = time.GetTimestamp();
            }
        }
        catch (OperationCanceledException)
        {
            // The hub is stopping.
        }
    }

    /// <summary>Reads the file again if it changed since last read; a file that is gone lists nothing.</summary>
    private void Refresh()
    {
        var file = new FileInfo(Path);
        (DateTime, long)? now = file.Exists ? (file.LastWriteTimeUtc, file.Length) : null;
        if (now == _seen) return;
        try
        {
            var (read, errors) = file.Exists ? RevocationFile.Parse(File.ReadAllLines(Path)) : (new HashSet<string>(), []);
            foreach (var error in errors) Log.BadLine(logger, Path, error);
            _file = read;
        }
        catch (IOException e)
        {
            Log.Unreadable(logger, e, Path);
            return;
        }

        _seen = now;
        Apply();
    }

    /// <summary>Adds the file's serials to the cluster's list and takes the list back; a database out of reach keeps
    /// the last list taken.</summary>
    private async Task ShareAsync(CancellationToken cancellationToken)
    {
        if (_cluster is null) return;
        try
        {
            var unlisted = _file.Where(s => !_shared.Contains(s)).ToList();
            if (unlisted.Count > 0) await _cluster.AddRevocationsAsync(unlisted, cancellationToken);
            _shared = await _cluster.ReadRevocationsAsync(cancellationToken);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
        {
            Log.SharedUnreachable(logger, e);
            return;
        }

        Apply();
    }

    private void Apply()
    {
        var serials = _file.Union(_shared).ToHashSet();
        var added = serials.Where(s => !_serials.Contains(s)).ToHashSet();
        _serials = serials;
        if (added.Count > 0) Revoked?.Invoke(added);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Revocation list {Path}: {Error}; the line is skipped")]
        public static partial void BadLine(ILogger logger, string path, string error);

        [LoggerMessage(2, LogLevel.Error, "Revocation list {Path} could not be read; the last list read stays in force")]
        public static partial void Unreadable(ILogger logger, Exception exception, string path);

        [LoggerMessage(3, LogLevel.Warning, "The cluster's revocation list could not be reached; the last list taken from it stays in force")]
        public static partial void SharedUnreachable(ILogger logger, Exception exception);
    }
}
