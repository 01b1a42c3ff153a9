using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using PatrolHub.Grains.Ids;

namespace PatrolHub.Grains.Journal;

/// <summary>Where a sector's record stops being what was recorded: the first record that is missing, altered, or not
/// in its place, or a signed checkpoint the log no longer agrees with.</summary>
public sealed record ChainBreak(SectorId Sector, long Cursor, DateTimeOffset? RecordedAt, string Problem)
{
    public override string ToString() =>
        $"sector {Sector}, record {Cursor}{(RecordedAt is { } at ? $" (recorded {at.UtcDateTime:yyyy-MM-ddTHH:mm:ss.ffffffZ})" : "")}: {Problem}";
}

/// <summary>What verifying one sector's log found.</summary>
/// <param name="Records">The last record found sound: every record up to it is sound or was pruned.</param>
/// <param name="Checkpoints">Signed checkpoints the log agrees with.</param>
/// <param name="SignersChecked">Whether each checkpoint's signer was checked against a trusted certificate (and not
/// only its own signature).</param>
/// <param name="Pruned">Records pruned under the retention policy, which signed checkpoints stand for.</param>
public sealed record SectorVerification(
    SectorId Sector, long Records, LogHead Head, int Checkpoints, bool SignersChecked, ChainBreak? Break, long Pruned = 0, DateTimeOffset? LastPrunedAt = null)
{
    public bool Intact => Break is null;
}

/// <summary>Checks a sector's records one after another, in cursor order, against the chain. Records pruned under the
/// retention policy are stood for by the checkpoints signed when they were pruned.</summary>
public sealed class ChainCheck(SectorId sector, LogHead start, IEnumerable<Checkpoint>? checkpoints = null)
{
    private readonly Dictionary<long, Checkpoint> _prunings = (checkpoints ?? []).Where(c => c.PrunedFrom is not null).ToDictionary(c => c.PrunedFrom!.Value);

    /// <summary>The last record found sound, or the last one pruned.</summary>
    public LogHead Head { get; private set; } = start;

    /// <summary>Records passed over as pruned.</summary>
    public long Pruned { get; private set; }

    /// <summary>When the last of them were pruned.</summary>
    public DateTimeOffset? LastPrunedAt { get; private set; }

    /// <summary>The next record's problem, or null when it is sound (and becomes the head).</summary>
    public ChainBreak? Next(ChainLink link) => Next(link, OwnProblem(link));

    /// <summary>As <see cref="Next(ChainLink)"/>, with the record's own problem (<see cref="OwnProblem"/>) found beforehand,
    /// so that part, the costly one, can run for many records at once.</summary>
    public ChainBreak? Next(ChainLink link, string? ownProblem)
    {
        var expected = Head.Cursor + 1;
        while (link.Cursor > expected && _prunings.TryGetValue(expected, out var pruning) && pruning.Cursor < link.Cursor)
        {
            Head = new LogHead(pruning.Cursor, pruning.Hash);
            Pruned += pruning.Pruned;
            LastPrunedAt = LastPrunedAt > pruning.SignedAt ? LastPrunedAt : pruning.SignedAt;
            expected = Head.Cursor + 1;
        }

        if (link.Cursor != expected)
        {
            var missing = link.Cursor - expected == 1 ? $"record {expected} is" : $"records {expected} to {link.Cursor - 1} are";
            return new ChainBreak(sector, expected, null, $"missing: {missing} not in the log, which goes from {Head.Cursor} to {link.Cursor}.");
        }

        if (ownProblem is not null) return new ChainBreak(sector, link.Cursor, link.RecordedAt, ownProblem);
        if (!link.PreviousHash.AsSpan().SequenceEqual(Head.Hash))
        {
            return new ChainBreak(sector, link.Cursor, link.RecordedAt,
                $"not in its place: it does not chain to record {Head.Cursor}, so it was inserted, moved, or a record before it was rewritten.");
        }

        Head = new LogHead(link.Cursor, link.Hash);
        return null;
    }

    /// <summary>What is wrong with a record taken alone: its hash does not match its content, or its index columns
    /// are not the ones its hashed payload gives (lookups would then find other records). Null when nothing is.</summary>
    public static string? OwnProblem(ChainLink link)
    {
        if (!link.ComputeHash(link.PreviousHash).AsSpan().SequenceEqual(link.Hash)) return "altered: its content does not match its hash.";
        JournalKeys keys;
        try
        {
            keys = JournalSerializer.DeserializeKeys(link.Payload);
        }
        catch (JsonException e)
        {
            return $"altered: its payload is not a record ({e.Message}).";
        }

        var sound = keys.Kind == link.Kind && keys.Sector == link.Sector && keys.Unit?.Value == link.Unit && keys.ToUnit?.Value == link.ToUnit
            && keys.Subject == link.Subject && keys.UnitSequence == link.UnitSequence;
        return sound ? null : "altered: its index columns do not match its content.";
    }
}

/// <summary>The certificates whose checkpoints are believed: the hub's own, or the CA that issued it. Empty means each
/// checkpoint's signature is checked against the certificate stored with it, and nothing more.</summary>
public sealed class CheckpointTrust(IReadOnlyList<X509Certificate2> anchors)
{
    public static readonly CheckpointTrust SignatureOnly = new([]);

    public bool ChecksSigners => anchors.Count > 0;

    public bool Trusts(Checkpoint checkpoint)
    {
        using var signer = checkpoint.SignerCertificate();
        if (anchors.Any(a => a.RawData.AsSpan().SequenceEqual(signer.RawData))) return true;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(anchors.ToArray());
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        // A checkpoint stays valid after its signer expires: check the chain as of the signing.
        chain.ChainPolicy.VerificationTime = checkpoint.SignedAt.UtcDateTime;
        return anchors.Count > 0 && chain.Build(signer);
    }
}

/// <summary>Verifies sectors' logs from the store: every record's hash, its place in the chain and its index columns,
/// then every signed checkpoint against the records.</summary>
public static class ChainVerifier
{
    private const int Page = 1024;

    /// <summary>The logs to verify: one sector's (or the security log, SEC), or, with none named, every sector's and the security log.</summary>
    public static IReadOnlyList<SectorId> LogsNamed(string? only) =>
        string.IsNullOrEmpty(only) ? [.. Geo.SectorCatalog.Default.All.Select(s => s.Id), Security.SecurityEvent.Log]
        : only.Equals(Security.SecurityEvent.Log.Value, StringComparison.OrdinalIgnoreCase) ? [Security.SecurityEvent.Log]
        : [Geo.SectorCatalog.Default.Get(only).Id];

    public static async Task<SectorVerification> VerifyAsync(IJournal journal, SectorId sector, CheckpointTrust trust, CancellationToken cancellationToken = default)
    {
        var all = await journal.ReadCheckpointsAsync(sector, cancellationToken);
        var checkpoints = new Queue<Checkpoint>(all.Where(c => c.PrunedFrom is null));
        var check = new ChainCheck(sector, LogHead.Empty, all);
        var agreed = 0;
        SectorVerification Result(ChainBreak? broken) =>
            new(sector, check.Head.Cursor, check.Head, agreed, trust.ChecksSigners, broken, check.Pruned, check.LastPrunedAt);

        foreach (var checkpoint in all)
        {
            if (!checkpoint.SignatureIsValid())
                return Result(new ChainBreak(sector, checkpoint.Cursor, null, $"the checkpoint of this record dated {checkpoint.SignedAt:u} has an invalid signature."));
            if (trust.ChecksSigners && !trust.Trusts(checkpoint))
                return Result(new ChainBreak(sector, checkpoint.Cursor, null, $"the checkpoint of this record dated {checkpoint.SignedAt:u} was not signed by a trusted hub certificate."));
        }

        // Two pages ahead are read while this one is checked, and the records' own checks run on every core. The page
        // after next is read on the guess that the log has no gap; when it has, that read is dropped and made again.
        var next = journal.ReadChainAsync(sector, 0, Page, cancellationToken);
        var afterNext = journal.ReadChainAsync(sector, Page, Page, cancellationToken);
        var afterNextFrom = (long)Page;
        while (true)
        {
            var links = await next;
            if (links.Count == 0) break;
            var last = links[^1].Cursor;
            next = afterNextFrom == last ? afterNext : journal.ReadChainAsync(sector, last, Page, cancellationToken);
            afterNextFrom = last + Page;
            afterNext = journal.ReadChainAsync(sector, afterNextFrom, Page, cancellationToken);
            var problems = new string?[links.Count];
            Parallel.For(0, links.Count, i => problems[i] = ChainCheck.OwnProblem(links[i]));
            for (var i = 0; i < links.Count; i++)
            {
                var link = links[i];
                if (check.Next(link, problems[i]) is { } broken)
                {
                    await ((Task)Task.WhenAll(next, afterNext)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    return Result(broken);
                }

                // A checkpoint of a record pruned since is stood for by the pruning's own signed checkpoint.
                while (checkpoints.TryPeek(out var covered) && covered.Cursor < link.Cursor) checkpoints.Dequeue();
                while (checkpoints.TryPeek(out var checkpoint) && checkpoint.Cursor == link.Cursor)
                {
                    if (!checkpoint.Hash.AsSpan().SequenceEqual(link.Hash))
                        return Result(new ChainBreak(sector, link.Cursor, link.RecordedAt, $"rewritten: it differs from the head the hub signed at {checkpoint.SignedAt:u}."));
                    checkpoints.Dequeue();
                    agreed++;
                }
            }
        }

        return checkpoints.TryPeek(out var beyond)
            ? Result(new ChainBreak(sector, check.Head.Cursor + 1, null,
                $"missing: the log ends at record {check.Head.Cursor}, but the hub signed a checkpoint of record {beyond.Cursor} at {beyond.SignedAt:u}; records were removed from its end."))
            : Result(null);
    }
}
