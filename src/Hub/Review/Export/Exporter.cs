using System.Globalization;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using PatrolHub.Grains;
using PatrolHub.V1;

namespace PatrolHub.Hub.Review.Export;

/// <summary>Writes a window of the record as one file format, streaming: what it has written goes out in chunks as
/// it goes, so neither side holds the whole file.</summary>
internal abstract class Exporter
{
    public static Exporter For(ExportFormat format) => format switch
    {
        ExportFormat.Geojson => new GeoJsonExporter(),
        ExportFormat.Gpx => new GpxExporter(),
        ExportFormat.Csv => new CsvExporter(),
        ExportFormat.Kml => new KmlExporter(),
        _ => throw new DomainValidationException("format", $"format {(int)format} is not supported; use geojson, gpx, csv or kml."),
    };

    public abstract Task WriteAsync(ExportSource source, ExportOutput output, CancellationToken cancellationToken);

    protected static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    protected static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.FFFFFFFZ", CultureInfo.InvariantCulture);
}

/// <summary>The export's text, sent as chunks of about 64 KiB with the progress so far.</summary>
internal sealed class ExportOutput : IDisposable
{
    private const int ChunkSize = 64 * 1024;
    private readonly IServerStreamWriter<ExportChunk> _stream;
    private readonly ExportSource _source;
    private readonly MemoryStream _buffer = new();
    private FileStream? _spill;

    public ExportOutput(IServerStreamWriter<ExportChunk> stream, ExportSource source)
    {
        _stream = stream;
        _source = source;
        Writer = new StreamWriter(_buffer, new UTF8Encoding(false), ChunkSize, leaveOpen: true) { NewLine = "\n" };
    }

    /// <summary>Where the file's text goes.</summary>
    public StreamWriter Writer { get; }

    /// <summary>Sends what has been written once there is a chunk's worth, or all of it when <paramref name="final"/>.</summary>
    public async Task SendAsync(bool final, CancellationToken cancellationToken)
    {
        await Writer.FlushAsync(cancellationToken);
        if (!final && _buffer.Length < ChunkSize) return;
        var total = (ulong)_source.Window.Records;
        await _stream.WriteAsync(new ExportChunk
        {
            Data = ByteString.CopyFrom(_buffer.GetBuffer(), 0, (int)_buffer.Length),
            RecordsRead = final ? total : Math.Min(total, (ulong)_source.Read),
            RecordsTotal = total,
        }, cancellationToken);
        _buffer.SetLength(0);
    }

    /// <summary>A scratch file for text that must come later in the file than it is read (a track's coordinates after
    /// its times); emptied after each copy, deleted when the export ends.</summary>
    public StreamWriter Spill()
    {
        _spill ??= new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, ChunkSize, FileOptions.DeleteOnClose);
        _spill.SetLength(0);
        return new StreamWriter(_spill, new UTF8Encoding(false), ChunkSize, leaveOpen: true);
    }

    /// <summary>Hands the scratch file's text to <paramref name="write"/> a block at a time, sending chunks as they fill.</summary>
    public async Task CopySpillAsync(StreamWriter spill, Action<char[], int> write, CancellationToken cancellationToken)
    {
        await spill.FlushAsync(cancellationToken);
        _spill!.Position = 0;
        using var reader = new StreamReader(_spill, new UTF8Encoding(false), false, ChunkSize, leaveOpen: true);
        var block = new char[ChunkSize / 2];
        int read;
        while ((read = await reader.ReadAsync(block, cancellationToken)) > 0)
        {
            write(block, read);
            await SendAsync(final: false, cancellationToken);
        }

        _spill.SetLength(0);
    }

    public void Dispose()
    {
        Writer.Dispose();
        _spill?.Dispose();
    }
}
