namespace PatrolHub.Grains.Ids;

public enum Nation
{
    US = 1,
    MX = 2,
}

public static class Nations
{
    public static Nation Parse(string value) => TryParse(value, out var nation)
        ? nation
        : throw new DomainValidationException("nation", $"'{value}' is not a nation; expected US or MX.");

    public static bool TryParse(string? value, out Nation nation)
    {
        switch (value?.ToUpperInvariant())
        {
            case "US": nation = Nation.US; return true;
            case "MX": nation = Nation.MX; return true;
            default: nation = default; return false;
        }
    }

    public static Nation Other(this Nation nation) => nation == Nation.US ? Nation.MX : Nation.US;
}
