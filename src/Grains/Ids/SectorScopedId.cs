namespace PatrolHub.Grains.Ids;

/// <summary>The shape pair and alert ids share: a sector code, a dash, a letter, then digits (TCA-P0001, TCA-A00001).</summary>
internal static class SectorScopedId
{
    public static bool TryParse(string? s, char letter, out string normalized)
    {
        normalized = "";
        if (s is null || s.Length < 6 || s[3] != '-' || char.ToUpperInvariant(s[4]) != letter
            || !SectorId.TryParse(s[..3], null, out _) || !s[5..].All(char.IsAsciiDigit))
        {
            return false;
        }

        normalized = s.ToUpperInvariant();
        return true;
    }
}
