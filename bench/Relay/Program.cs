using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using PatrolHub.Relay;

// The yardstick: PatrolService and the CommandService calls `patrolhub simulate` makes, over the same mTLS gRPC as the
// hub, with pairs held in memory. Every position is acknowledged at once and forwarded to the partner; nothing is
// recorded, nothing runs in a grain. Usage: PatrolHub.Relay --certs DIR [--url https://127.0.0.1:7450]
// The same pool sizing as the hub and simulate, so the yardstick differs from the hub only in what the hub does.
PatrolHub.Client.Connection.SharedBuffers.SizeForManyConnections();
var builder = WebApplication.CreateBuilder(args);
var certs = builder.Configuration["certs"] ?? throw new ArgumentException("--certs DIR (a development PKI, as `patrolhub certs init` makes) is required.");
var server = X509CertificateLoader.LoadPkcs12FromFile(Path.Combine(certs, "hub.pfx"), null);
X509Certificate2[] clientCas =
[
    X509CertificateLoader.LoadCertificateFromFile(Path.Combine(certs, "us-ca.crt")),
    X509CertificateLoader.LoadCertificateFromFile(Path.Combine(certs, "mx-ca.crt")),
];

builder.WebHost.UseUrls(builder.Configuration["url"] ?? "https://127.0.0.1:7450");
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.ConfigureEndpointDefaults(listen => listen.Protocols = HttpProtocols.Http2);
    kestrel.ConfigureHttpsDefaults(https =>
    {
        https.ServerCertificate = server;
        https.SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;
        https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
        https.ClientCertificateValidation = (certificate, _, _) => clientCas.Any(ca => Chains(certificate, ca));
    });
});
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddGrpc();
builder.Services.AddSingleton<Relay>();
var app = builder.Build();
app.MapGrpcService<RelayPatrolService>();
app.MapGrpcService<RelayCommandService>();
app.Lifetime.ApplicationStarted.Register(() => Console.WriteLine($"relay listening on {string.Join(", ", app.Urls)}"));
await app.RunAsync();

static bool Chains(X509Certificate2 certificate, X509Certificate2 ca)
{
    using var chain = new X509Chain();
    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
    chain.ChainPolicy.CustomTrustStore.Add(ca);
    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
    return chain.Build(certificate);
}
