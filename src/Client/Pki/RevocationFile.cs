using System.Globalization;
using System.Security.Cryptography.X509Certificates;

namespace PatrolHub.Client.Pki;

/// <summary>
/// The revocation list: a text file with one revoked certificate serial number (hexadecimal) per line, optionally
/// followed by <c>#</c> and a note. Blank lines and lines starting with <c>#</c> are ignored. The hub watches the file;
/// <c>patrolhub certs revoke</c> appends to it.
/// </summary>
public static class RevocationFile
{
    /// <summary>A serial number as the list holds it: upper-case hexadecimal without separators or leading zeros.</summary>
    public static string Normalize(string serial)
    {
        var hex = new string(serial.Where(c => c is not (':' or ' ' or '-')).ToArray()).ToUpperInvariant().TrimStart('0');
        if (hex.Length == 0 || hex.Length > 40 || !hex.All(char.IsAsciiHexDigit))
            throw new FormatException($"'{serial}' is not a certificate serial number (hexadecimal, at most 20 bytes).");
        return hex;
    }

    public static string SerialOf(X509Certificate2 certificate) => Normalize(certificate.SerialNumber);

    /// <summary>The serials listed, and a sentence for each line that is not one.</summary>
    public static (IReadOnlySet<string> Serials, IReadOnlyList<string> Errors) Parse(IEnumerable<string> lines)
    {
        var serials = new HashSet<string>(StringComparer.Ordinal);
        var errors = new List<string>();
        var number = 0;
        foreach (var line in lines)
        {
            number++;
            var text = line.Split('#', 2)[0].Trim();
            if (text.Length == 0) continue;
            try
            {
                serials.Add(Normalize(text));
            }
            catch (FormatException e)
            {
                errors.Add(string.Create(CultureInfo.InvariantCulture, $"line {number}: {e.Message}"));
            }
        }

        return (serials, errors);
    }

    /// <summary>Adds a serial to the list (creating the file and its folder); false if it was already listed.</summary>
    public static bool Add(string path, string serial, string note)
    {
        serial = Normalize(serial);
        if (File.Exists(path) && Parse(File.ReadLines(path)).Serials.Contains(serial)) return false;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.AppendAllText(path, $"{serial}  # {note.ReplaceLineEndings(" ")}\n");
        return true;
    }
}
