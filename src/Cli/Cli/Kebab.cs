using System.Text;

namespace PatrolHub.Client.Cli;

/// <summary>Enum values on the command line and in output: lower-case kebab form (human-smuggling, turned-back).</summary>
internal static class Kebab
{
    public static string Format<T>(T value) where T : struct, Enum
    {
        var name = value.ToString();
        var text = new StringBuilder();
        foreach (var c in name)
        {
            if (char.IsUpper(c) && text.Length > 0) text.Append('-');
            text.Append(char.ToLowerInvariant(c));
        }

        return text.ToString();
    }

    public static T Parse<T>(string text, string option) where T : struct, Enum
    {
        var compact = text.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal);
        if (Enum.TryParse<T>(compact, ignoreCase: true, out var value) && Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture) != 0
            && !int.TryParse(compact, out _))
        {
            return value;
        }

        var allowed = Enum.GetValues<T>().Where(v => Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture) != 0).Select(Format);
        throw new UsageException($"{option} '{text}' is not one of {string.Join(", ", allowed)}.");
    }
}
