using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;

namespace PatrolHub.Client.Pki;

/// <summary>Reads URI entries of a certificate's subject alternative name, which .NET does not enumerate itself.</summary>
public static class SubjectAlternativeNames
{
    private static readonly Asn1Tag UriTag = new(TagClass.ContextSpecific, 6);

    public static IReadOnlyList<string> Uris(X509Certificate2 certificate)
    {
        var uris = new List<string>();
        foreach (var extension in certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>())
        {
            var names = new AsnReader(extension.RawData, AsnEncodingRules.DER).ReadSequence();
            while (names.HasData)
            {
                if (names.PeekTag().HasSameClassAndValue(UriTag))
                    uris.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, UriTag));
                else
                    names.ReadEncodedValue();
            }
        }

        return uris;
    }
}
