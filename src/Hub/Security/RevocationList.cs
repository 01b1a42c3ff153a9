using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;
using PatrolHub.Client.Pki;
using PatrolHub.Hub.Hosting;

namespace PatrolHub.Hub.Security;

/// <summary>
/// The serials of revoked client certificates, from the file <see cref="SecurityOptions.RevocationList"/> names. The
/// hub looks at the file every <see cref="SecurityOptions.RevocationCheckInterval"/>, so a certificate added to it is
/// refused on its next call, and <see cref="Revoked"/> tells whoever holds its open streams to end them. A line that is
/// not a serial is reported and skipped; the others still count.
/// </summary>
public sealed partial class RevocationList(IOptions<SecurityOptions> options, IOptions<HubOptions> hub, TimeProvider time, ILogger<RevocationList> logger)
    : BackgroundService
{
    private IReadOnlySet<string> _serials = new HashSet<string>();
    private (DateTime Written, long Length)? _seen;

    public string Path { get; } = System.IO.Path.GetFullPath(options.Value.RevocationList ?? System.IO.Path.Combine(hub.Value.DataPath, "revoked.txt"));

    /// <summary>Serials newly listed; raised on the watcher's thread.</summary>
    public event Action<IReadOnlySet<string>>? Revoked;

    public bool IsRevoked(X509Certificate2 certificate) => _serials.Count > 0 && _serials.Contains(RevocationFile.SerialOf(certificate));

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        Refresh();
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RevocationCheckInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) Refresh();
        }
        catch (OperationCanceledException)
        {
            // The hub is stopping.
        }
    }

    /// <summary>Reads the file again if it changed since last read; a file that is gone lists nothing.</summary>
    public void Refresh()
    {
        var file = new FileInfo(Path);
        (DateTime, long)? now = file.Exists ? (file.LastWriteTimeUtc, file.Length) : null;
        if (now == _seen) return;
        IReadOnlySet<string> serials;
        try
        {
            var (read, errors) = file.Exists ? RevocationFile.Parse(File.ReadAllLines(Path)) : (new HashSet<string>(), []);
            foreach (var error in errors) Log.BadLine(logger, Path, error);
            serials = read;
        }
        catch (IOException e)
        {
            Log.Unreadable(logger, e, Path);
            return;
        }

        _seen = now;
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
    }
}
