using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace PatrolHub.Grains.Ids;

/// <summary>Writes a typed id as its plain string form in journal payloads.</summary>
public sealed class IdJsonConverter<T> : JsonConverter<T> where T : IParsable<T>
{
    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        T.Parse(reader.GetString() ?? throw new JsonException($"{typeof(T).Name} cannot be null."), CultureInfo.InvariantCulture);

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}
