using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using PatrolHub.Grains.Ids;

namespace PatrolHub.Grains.Journal;

/// <summary>
/// The hub's signed statement that a sector's log had <see cref="Hash"/> at <see cref="Cursor"/> at <see cref="SignedAt"/>.
/// Anyone holding the signer's certificate can check it, so a record removed or rewritten after a checkpoint is caught.
/// With <see cref="PrunedFrom"/>, it also says that records <see cref="PrunedFrom"/> to <see cref="Cursor"/> were pruned
/// under the retention policy at <see cref="SignedAt"/>: it stands in the chain for them.
/// </summary>
/// <remarks>The signature is ECDSA (or RSA PKCS#1) with SHA-256 over: "patrolhub-checkpoint-v1" ‖ 0 ‖ sector ‖ 0 ‖
/// cursor ‖ signed-at µs ‖ pruned-from (0 for none) ‖ hash, text in UTF-8, integers 64-bit big-endian.</remarks>
public sealed record Checkpoint(SectorId Sector, long Cursor, byte[] Hash, DateTimeOffset SignedAt, byte[] Signer, byte[] Signature, long? PrunedFrom = null)
{
    private const string Domain = "patrolhub-checkpoint-v1";

    /// <summary>Records the checkpoint stands for, pruned; 0 for a plain checkpoint.</summary>
    public long Pruned => PrunedFrom is { } from ? Cursor - from + 1 : 0;

    public static Checkpoint Sign(SectorId sector, LogHead head, DateTimeOffset signedAt, X509Certificate2 signer, long? prunedFrom = null)
    {
        var at = JournalSerializer.FromMicros(JournalSerializer.ToMicros(signedAt));
        var data = SignedBytes(sector, head.Cursor, head.Hash, at, prunedFrom);
        byte[] signature;
        using (var ecdsa = signer.GetECDsaPrivateKey())
        using (var rsa = ecdsa is null ? signer.GetRSAPrivateKey() : null)
        {
            signature = ecdsa?.SignData(data, HashAlgorithmName.SHA256)
                ?? rsa?.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
                ?? throw new InvalidOperationException($"the certificate '{signer.Subject}' has no ECDSA or RSA private key to sign checkpoints with.");
        }

        return new Checkpoint(sector, head.Cursor, head.Hash, at, signer.RawData, signature, prunedFrom);
    }

    /// <summary>The certificate that signed it, as stored with it.</summary>
    public X509Certificate2 SignerCertificate() => X509CertificateLoader.LoadCertificate(Signer);

    /// <summary>Whether <see cref="Signature"/> is the stored signer's signature over this checkpoint's fields.</summary>
    public bool SignatureIsValid()
    {
        using var certificate = SignerCertificate();
        var data = SignedBytes(Sector, Cursor, Hash, SignedAt, PrunedFrom);
        using var ecdsa = certificate.GetECDsaPublicKey();
        if (ecdsa is not null) return ecdsa.VerifyData(data, Signature, HashAlgorithmName.SHA256);
        using var rsa = certificate.GetRSAPublicKey();
        return rsa is not null && rsa.VerifyData(data, Signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }

    private static byte[] SignedBytes(SectorId sector, long cursor, byte[] hash, DateTimeOffset signedAt, long? prunedFrom)
    {
        var text = Encoding.UTF8.GetBytes($"{Domain}\0{sector.Value}\0");
        var data = new byte[text.Length + 24 + hash.Length];
        text.CopyTo(data, 0);
        BinaryPrimitives.WriteInt64BigEndian(data.AsSpan(text.Length), cursor);
        BinaryPrimitives.WriteInt64BigEndian(data.AsSpan(text.Length + 8), JournalSerializer.ToMicros(signedAt));
        BinaryPrimitives.WriteInt64BigEndian(data.AsSpan(text.Length + 16), prunedFrom ?? 0);
        hash.CopyTo(data, text.Length + 24);
        return data;
    }
}
