using System.Text.Encodings.Web;
using System.Text.Json;

namespace PatrolHub.Client.Cli;

/// <summary>Prints either for people or, with --json, one JSON object per line for scripts.</summary>
internal sealed class Output(bool json, TextWriter writer)
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly Lock _lock = new();

    public bool Json => json;

    public void Write(object data, string text)
    {
        lock (_lock)
        {
            writer.WriteLine(json ? JsonSerializer.Serialize(data, Options) : text);
            writer.Flush();
        }
    }
}
