using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using PatrolHub.Client.Pki;

namespace PatrolHub.Client.Cli;

internal static class CertsCommands
{
    public static Command Build()
    {
        var force = new Option<bool>("--force") { Description = "Replace an existing PKI" };
        var hosts = new Option<string[]>("--host") { Description = "DNS names for the hub certificate (default localhost)", AllowMultipleArgumentsPerToken = true };
        var init = new Command("init", "Create a development PKI: hub CA and certificate, U.S. and Mexican client CAs, sample identities") { force, hosts };
        init.SetAction(result =>
        {
            var pki = GlobalOptions.Pki(result);
            if (pki.Exists && !result.GetValue(force))
                throw new UsageException($"a PKI already exists in {pki.Folder}; pass --force to replace it.");
            var requested = result.GetValue(hosts);
            var written = pki.Init(requested is { Length: > 0 } ? requested : null);
            var output = GlobalOptions.Output(result);
            foreach (var file in written) output.Write(new { type = "file", path = file }, file);
            return ExitCodes.Ok;
        });

        var unit = new Option<string?>("--unit") { Description = "A unit id, e.g. US-TCA-0102" };
        var command = new Option<string?>("--command") { Description = "A sector command, NATION:SECTOR, e.g. MX:TCA" };
        var joint = new Option<string?>("--joint") { Description = "The joint centre, issued by NATION's CA" };
        var reviewer = new Option<string?>("--reviewer") { Description = "A reviewer of NATION" };
        var output = new Option<string?>("--out") { Description = "Where to write the PFX (default: CERTS/NAME.pfx)" };
        var issue = new Command("issue", "Issue an identity from its nation's CA") { unit, command, joint, reviewer, output };
        issue.SetAction(result =>
        {
            var specs = new List<IdentitySpec>();
            if (result.GetValue(unit) is { } u) specs.Add(IdentitySpec.Unit(CheckUnit(u)));
            if (result.GetValue(command) is { } c)
            {
                var parts = c.Split(':');
                if (parts.Length != 2 || !IsNation(parts[0]) || parts[1].Length != 3)
                    throw new UsageException($"--command '{c}' is not NATION:SECTOR such as MX:TCA.");
                specs.Add(IdentitySpec.Command(parts[0], parts[1]));
            }

            if (result.GetValue(joint) is { } j) specs.Add(IdentitySpec.Joint(CheckNation(j)));
            if (result.GetValue(reviewer) is { } r) specs.Add(IdentitySpec.Reviewer(CheckNation(r)));
            if (specs.Count != 1) throw new UsageException("name exactly one of --unit, --command, --joint or --reviewer.");
            var path = GlobalOptions.Pki(result).Issue(specs[0], result.GetValue(output));
            GlobalOptions.Output(result).Write(new { type = "file", path, identity = specs[0].Uri }, path);
            return ExitCodes.Ok;
        });

        var certificate = new Argument<string?>("FILE") { Description = "The certificate to revoke (PFX or PEM)", Arity = ArgumentArity.ZeroOrOne };
        var serial = new Option<string?>("--serial") { Description = "The serial number to revoke (hexadecimal)" };
        var list = new Option<string>("--list")
        {
            Description = "The revocation list the hub watches (Security:RevocationList; default data/revoked.txt)",
            DefaultValueFactory = _ => Path.Combine("data", "revoked.txt"),
        };
        var revoke = new Command("revoke", "Add a certificate to the revocation list: the hub refuses it and ends its open streams") { certificate, serial, list };
        revoke.SetAction(result =>
        {
            var (file, number) = (result.GetValue(certificate), result.GetValue(serial));
            if ((file is null) == (number is null)) throw new UsageException("name the certificate to revoke: a FILE or --serial S, not both.");
            string note;
            if (file is not null)
            {
                if (!File.Exists(file)) throw new UsageException($"'{file}' does not exist.");
                using var loaded = file.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase)
                    ? X509CertificateLoader.LoadPkcs12FromFile(file, null)
                    : X509CertificateLoader.LoadCertificateFromFile(file);
                (number, note) = (loaded.SerialNumber, $"{loaded.Subject}, revoked {DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ssZ}");
            }
            else
            {
                note = $"revoked {DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ssZ}";
            }

            string normalized;
            try
            {
                normalized = RevocationFile.Normalize(number!);
            }
            catch (FormatException e)
            {
                throw new UsageException(e.Message);
            }

            var path = Path.GetFullPath(result.GetValue(list)!);
            var added = RevocationFile.Add(path, normalized, note);
            GlobalOptions.Output(result).Write(new { type = "revoked", serial = normalized, list = path, added },
                added ? $"revoked serial {normalized} in {path}" : $"serial {normalized} was already revoked in {path}");
            return ExitCodes.Ok;
        });

        return new Command("certs", "Development certificates and revocation") { init, issue, revoke };
    }

    private static bool IsNation(string value) => value.ToUpperInvariant() is "US" or "MX";

    private static string CheckNation(string value) =>
        IsNation(value) ? value : throw new UsageException($"'{value}' is not a nation; use US or MX.");

    private static string CheckUnit(string value)
    {
        var parts = value.Split('-');
        return parts.Length == 3 && IsNation(parts[0]) && parts[1].Length == 3 && parts[2].Length > 0
            ? value
            : throw new UsageException($"'{value}' is not a unit id such as US-TCA-0102.");
    }
}
