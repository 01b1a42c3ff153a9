namespace PatrolHub.Grains.Ids;

public enum Nation
{
    US = 1,
    MX = 2,
}

public static class Nations
{
    public static Nation Parse(ReadOnlySpan<char> value) => TryParse(value, out var nation)
        ? nation
        : throw new DomainValidationException("nation", $"'{value}' is not a nation; expected US or MX.");

    public static bool TryParse(string? value, out Nation nation) => TryParse(value.AsSpan(), out nation);

    public static bool TryParse(ReadOnlySpan<char> value, out Nation nation)
    {
        nation = value.Equals("US", StringComparison.OrdinalIgnoreCase) ? Nation.US
            : value.Equals("MX", StringComparison.OrdinalIgnoreCase) ? Nation.MX
            : default;
        return nation != default;
    }

    public static Nation Other(this Nation nation) => nation == Nation.US ? Nation.MX : Nation.US;
}
