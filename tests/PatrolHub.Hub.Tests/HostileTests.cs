using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using PatrolHub.Client.Pki;
using PatrolHub.Hub.Security;
using PatrolHub.V1;

namespace PatrolHub.Hub.Tests;

/// <summary>A hub of its own with low limits, against callers that are broken or hostile: every refusal is a proper
/// status with a message, and a healthy unit streaming beside them is not disturbed.</summary>
public sealed class HostileTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly StatusCode[] NeverForClientMistakes = [StatusCode.Unknown, StatusCode.Internal];
    private readonly HubFixture _hub = new("hostile", new Dictionary<string, string>
    {
        ["Security:MaxStreamsPerIdentity"] = "2",
        ["Security:PositionsPerSecond"] = "5",
        ["Security:PositionBurst"] = "10",
        ["Security:AlertRaisesPerMinute"] = "2",
        ["Security:CallsPerSecond"] = "50",
        ["Security:CallBurst"] = "1000",
    });

    private DevelopmentPki Pki => _hub.Pki;

    public Task InitializeAsync() => _hub.InitializeAsync();

    public Task DisposeAsync() => _hub.DisposeAsync();

    [Fact]
    public async Task Garbage_without_a_certificate_is_unauthenticated_and_with_one_is_invalid_argument()
    {
        using var anonymous = _hub.Connection.CreateChannel(identity: null);
        var refused = await Assert.ThrowsAsync<RpcException>(() => Raw(anonymous, CommandService.Descriptor.FindMethodByName("ListSectors"), [0xff, 0xff, 0xff]));
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        Assert.Contains("client certificate is required", refused.Status.Detail, StringComparison.Ordinal);

        using var command = Channel(IdentitySpec.Command("US", "TCA"));
        var garbage = await Assert.ThrowsAsync<RpcException>(() => Raw(command, CommandService.Descriptor.FindMethodByName("GetSector"), [0xff, 0xff, 0xff]));
        Assert.Equal(StatusCode.InvalidArgument, garbage.StatusCode);
        Assert.Contains("not a valid GetSectorRequest message", garbage.Status.Detail, StringComparison.Ordinal);

        using var unit = Channel(IdentitySpec.Unit("US-TCA-0101"));
        var onConnect = await Assert.ThrowsAsync<RpcException>(() => Raw(unit, PatrolService.Descriptor.FindMethodByName("Connect"), [0x0a, 0x7f, 0x01]));
        Assert.Equal(StatusCode.InvalidArgument, onConnect.StatusCode);
    }

    [Fact]
    public async Task Numbers_at_the_limits_of_their_types_are_invalid_arguments_that_name_the_field()
    {
        using var channel = Channel(IdentitySpec.Unit("US-TCA-0102"));
        var cases = new (string Field, PositionUpdate Update)[]
        {
            ("sequence", Position(seq: ulong.MaxValue)),
            ("sequence", Position(seq: (ulong)long.MaxValue + 1)),
            ("gnss_time", Position(time: new Timestamp { Seconds = long.MaxValue })),
            ("gnss_time", Position(time: new Timestamp { Seconds = 0, Nanos = int.MinValue })),
            ("latitude", Position(latitude: double.NaN)),
            ("speed_mps", Position(speed: float.PositiveInfinity)),
        };
        foreach (var (field, update) in cases)
        {
            using var call = new PatrolService.PatrolServiceClient(channel).Connect();
            await call.RequestStream.WriteAsync(new UnitMessage { Hello = new Hello { UnitId = "US-TCA-0102" } });
            await call.RequestStream.WriteAsync(new UnitMessage { Position = update });
            var error = await Assert.ThrowsAsync<RpcException>(() => Drain(call.ResponseStream));
            Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
            Assert.Contains(field, error.Status.Detail, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("no-eku", "does not carry the client-authentication extended key usage")]
    [InlineData("ca-leaf", "is a CA certificate")]
    [InlineData("server-eku", "does not carry the client-authentication extended key usage")]
    public async Task Malformed_certificates_are_refused_with_the_rule_they_break(string shape, string message)
    {
        using var channel = _hub.Connection.CreateChannel(Issue("urn:patrolhub:command:US:TCA", shape));
        var error = await Assert.ThrowsAsync<RpcException>(() => new CommandService.CommandServiceClient(channel).ListSectorsAsync(new ListSectorsRequest()).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Contains(message, error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_second_connection_of_a_unit_replaces_the_first_which_is_told_and_the_replacement_audited()
    {
        var identity = Pki.IssueInMemory(IdentitySpec.Unit("MX-TCA-0103"));
        using var first = _hub.Connection.CreateChannel(identity);
        using var older = await ConnectAsync(first, "MX-TCA-0103");
        using var second = _hub.Connection.CreateChannel(identity);
        using var newer = await ConnectAsync(second, "MX-TCA-0103");

        var error = await Assert.ThrowsAsync<RpcException>(() => Drain(older.ResponseStream));
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("was replaced by a newer connection of the same unit", error.Status.Detail, StringComparison.Ordinal);

        await newer.RequestStream.WriteAsync(new UnitMessage { Position = Position(seq: 1) });
        Assert.True(await newer.ResponseStream.MoveNext().WaitAsync(Timeout));
        Assert.Equal(HubMessage.BodyOneofCase.Ack, newer.ResponseStream.Current.BodyCase);

        var audit = await AuditAsync("MX", e => e.Action == "stream-replaced" && e.Subject == "MX-TCA-0103");
        Assert.Contains("replaced", audit.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Streams_past_the_per_identity_cap_are_resource_exhausted_naming_the_setting()
    {
        using var channel = Channel(IdentitySpec.Command("MX", "TCA"));
        var client = new CommandService.CommandServiceClient(channel);
        using var one = client.WatchSector(new WatchSectorRequest { Sector = "TCA" });
        using var two = client.WatchSector(new WatchSectorRequest { Sector = "TCA" });
        Assert.True(await one.ResponseStream.MoveNext().WaitAsync(Timeout));
        Assert.True(await two.ResponseStream.MoveNext().WaitAsync(Timeout));
        using var three = client.WatchSector(new WatchSectorRequest { Sector = "TCA" });
        var error = await Assert.ThrowsAsync<RpcException>(() => three.ResponseStream.MoveNext().WaitAsync(Timeout));
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("Security:MaxStreamsPerIdentity", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoking_a_streaming_unit_ends_its_stream_within_a_second_and_refuses_its_next_call()
    {
        var identity = Pki.IssueInMemory(IdentitySpec.Unit("US-TCA-0104"));
        using var channel = _hub.Connection.CreateChannel(identity);
        using var call = await ConnectAsync(channel, "US-TCA-0104");
        var ended = Drain(call.ResponseStream);

        var revokedAt = Stopwatch.StartNew();
        Assert.True(RevocationFile.Add(Path.Combine(_hub.DataPath, "revoked.txt"), identity.SerialNumber, "stolen"));
        var error = await Assert.ThrowsAsync<RpcException>(() => ended.WaitAsync(Timeout));
        var took = revokedAt.Elapsed;
        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Contains("has been revoked", error.Status.Detail, StringComparison.Ordinal);
        Assert.True(took < TimeSpan.FromSeconds(1), $"the stream ended {took.TotalMilliseconds:F0} ms after the revocation");

        using var again = _hub.Connection.CreateChannel(identity);
        var refused = await Assert.ThrowsAsync<RpcException>(() => ConnectAsync(again, "US-TCA-0104"));
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        Assert.Contains("has been revoked", refused.Status.Detail, StringComparison.Ordinal);
        await AuditAsync("US", e => e.Action == "revoked" && e.Subject == "US-TCA-0104");
    }

    [Fact]
    public async Task A_flooding_unit_is_cut_off_at_its_rate_and_keeps_what_was_acknowledged()
    {
        using var channel = Channel(IdentitySpec.Unit("US-TCA-0105"));
        using var call = await ConnectAsync(channel, "US-TCA-0105");
        // The hub ends the call at the limit while the unit is still writing; its later writes fail, as they should.
        var writing = Task.Run(async () =>
        {
            for (ulong s = 1; s <= 40; s++) await call.RequestStream.WriteAsync(new UnitMessage { Position = Position(seq: s) });
        });
        var acked = new List<ulong>();
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext().WaitAsync(Timeout))
                if (call.ResponseStream.Current.Ack is { } ack) acked.Add(ack.Sequence);
        });
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("Security:PositionsPerSecond", error.Status.Detail, StringComparison.Ordinal);
        await writing.ContinueWith(_ => { }, TaskScheduler.Default);
        Assert.InRange(acked.Count, 10, 39);
        Assert.Equal(Enumerable.Range(1, acked.Count).Select(i => (ulong)i), acked);

        // Reconnected, the unit learns what was recorded.
        using var resumed = Channel(IdentitySpec.Unit("US-TCA-0105"));
        using var next = new PatrolService.PatrolServiceClient(resumed).Connect();
        await next.RequestStream.WriteAsync(new UnitMessage { Hello = new Hello { UnitId = "US-TCA-0105" } });
        Assert.True(await next.ResponseStream.MoveNext().WaitAsync(Timeout));
        Assert.Equal((ulong)acked.Count, next.ResponseStream.Current.Welcome.LastSequence);
        await AuditAsync("US", e => e.Action == "limit-refused" && e.Subject == "US-TCA-0105" && e.Detail == "Security:PositionsPerSecond");
    }

    [Fact]
    public async Task Alert_raises_past_the_limit_are_refused_in_band_and_the_stream_stays_up()
    {
        using var channel = Channel(IdentitySpec.Unit("MX-TCA-0106"));
        using var call = await ConnectAsync(channel, "MX-TCA-0106");
        var codes = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            await call.RequestStream.WriteAsync(new UnitMessage
            {
                RaiseAlert = new RaiseAlertRequest { RequestId = $"r{i}", Sector = "TCA", Kind = AlertKind.Vehicle, Severity = Severity.Low, Latitude = 31.33, Longitude = -110.9 },
            });
            while (await call.ResponseStream.MoveNext().WaitAsync(Timeout) && call.ResponseStream.Current.AlertReply is not { } reply) { }
            codes.Add(call.ResponseStream.Current.AlertReply.Code);
            if (i == 2) Assert.Contains("Security:AlertRaisesPerMinute", call.ResponseStream.Current.AlertReply.Message, StringComparison.Ordinal);
        }

        Assert.Equal([0, 0, (int)StatusCode.ResourceExhausted], codes);
        await call.RequestStream.WriteAsync(new UnitMessage { Position = Position(seq: 1) });
        while (await call.ResponseStream.MoveNext().WaitAsync(Timeout) && call.ResponseStream.Current.Ack is null) { }
        Assert.Equal(1ul, call.ResponseStream.Current.Ack!.Sequence);
    }

    [Fact]
    public async Task Random_and_mutated_messages_at_every_method_get_a_proper_status_and_the_hub_stays_up()
    {
        using var channel = Channel(IdentitySpec.Command("US", "TCA"));
        using var unitChannel = Channel(IdentitySpec.Unit("US-TCA-0107"));
        var random = new Random(7);
        var seen = new Dictionary<StatusCode, int>();
        var methods = new[] { PatrolService.Descriptor, CommandService.Descriptor, ReviewService.Descriptor }.SelectMany(s => s.Methods).ToList();
        foreach (var method in methods)
        {
            var valid = Sample(method).ToByteArray();
            var payloads = new List<byte[]> { Array.Empty<byte>(), valid, valid[..(valid.Length / 2)], new byte[70 * 1024] };
            for (var i = 0; i < 12; i++)
            {
                var mutated = valid.Length > 0 ? (byte[])valid.Clone() : new byte[8];
                for (var flips = 0; flips < 3; flips++) mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
                payloads.Add(mutated);
                payloads.Add(RandomNumberGenerator.GetBytes(random.Next(1, 64)));
            }

            foreach (var payload in payloads)
            {
                var code = await StatusOfAsync(method.Service == PatrolService.Descriptor ? unitChannel : channel, method, payload);
                Assert.DoesNotContain(code, NeverForClientMistakes);
                seen[code] = seen.GetValueOrDefault(code) + 1;
            }
        }

        Assert.True(seen.ContainsKey(StatusCode.InvalidArgument));
        using var anonymous = _hub.Connection.CreateChannel(identity: null);
        var health = await new Health.HealthClient(anonymous).CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
    }

    [Theory]
    [InlineData(new byte[] { 2, 0, 0, 0, 0 }, StatusCode.InvalidArgument)] // a compression flag other than 0 or 1
    [InlineData(new byte[] { 0, 0x7f, 0xff, 0xff, 0xff }, StatusCode.ResourceExhausted)] // a frame claiming 2 GiB
    // A frame that breaks the framing itself is INTERNAL, as the gRPC status code specification prescribes for a malformed frame.
    [InlineData(new byte[] { 1, 0, 0, 0, 3, 1, 2, 3 }, StatusCode.Internal)] // compressed, with no grpc-encoding
    [InlineData(new byte[] { 0, 0, 0, 0, 9, 1 }, StatusCode.Internal)] // truncated
    public async Task Malformed_frames_get_the_status_grpc_prescribes_never_unknown(byte[] body, StatusCode expected)
    {
        using var handler = _hub.Connection.CreateHandler(Pki.IssueInMemory(IdentitySpec.Command("US", "TCA")));
        using var http = new HttpClient(handler);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_hub.Address, "/patrolhub.v1.CommandService/GetSector"))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        using var response = await http.SendAsync(request).WaitAsync(Timeout);
        await response.Content.ReadAsByteArrayAsync();
        var status = response.TrailingHeaders.TryGetValues("grpc-status", out var trailer) ? trailer.Single()
            : response.Headers.GetValues("grpc-status").Single();
        Assert.Equal(((int)expected).ToString(System.Globalization.CultureInfo.InvariantCulture), status);
    }

    private static IMessage Sample(MethodDescriptor method) => method.InputType.Parser!.ParseFrom(method.InputType.ClrType == typeof(UnitMessage)
        ? new UnitMessage { Hello = new Hello { UnitId = "US-TCA-0107" } }.ToByteArray()
        : method.InputType.ClrType == typeof(WatchSectorRequest) ? new WatchSectorRequest { Sector = "TCA" }.ToByteArray()
        : method.InputType.ClrType == typeof(RaiseAlertRequest) ? new RaiseAlertRequest { Sector = "TCA", Kind = AlertKind.Other, Severity = Severity.Low, Latitude = 31.3, Longitude = -110.9 }.ToByteArray()
        : []);

    /// <summary>Sends one raw payload to a method and returns the status the call ended with; a stream that was served is
    /// given a moment, then cancelled by the client.</summary>
    private static async Task<StatusCode> StatusOfAsync(GrpcChannel channel, MethodDescriptor method, byte[] payload)
    {
        try
        {
            await Raw(channel, method, payload).WaitAsync(Timeout);
            return StatusCode.OK;
        }
        catch (RpcException e)
        {
            return e.StatusCode;
        }
    }

    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create<byte[]>(b => b, b => b);

    private static async Task Raw(GrpcChannel channel, MethodDescriptor descriptor, byte[] payload)
    {
        var type = descriptor.IsClientStreaming ? (descriptor.IsServerStreaming ? MethodType.DuplexStreaming : MethodType.ClientStreaming)
            : descriptor.IsServerStreaming ? MethodType.ServerStreaming : MethodType.Unary;
        var method = new Method<byte[], byte[]>(type, descriptor.Service.FullName, descriptor.Name, Bytes, Bytes);
        var invoker = channel.CreateCallInvoker();
        using var served = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        var options = new CallOptions(cancellationToken: served.Token);
        try
        {
            switch (type)
            {
                case MethodType.Unary:
                    await invoker.AsyncUnaryCall(method, null, options, payload);
                    break;
                case MethodType.ServerStreaming:
                    using (var call = invoker.AsyncServerStreamingCall(method, null, options, payload))
                        await call.ResponseStream.MoveNext();
                    break;
                default:
                    using (var call = invoker.AsyncDuplexStreamingCall(method, null, options))
                    {
                        await call.RequestStream.WriteAsync(payload);
                        await call.RequestStream.CompleteAsync();
                        while (await call.ResponseStream.MoveNext()) { }
                    }

                    break;
            }
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && served.IsCancellationRequested)
        {
            // Served: the stream was open and delivering until the test stopped it.
        }
    }

    private static async Task Drain<T>(IAsyncStreamReader<T> stream) where T : class
    {
        while (await stream.MoveNext().WaitAsync(Timeout)) { }
    }

    private static async Task<AsyncDuplexStreamingCall<UnitMessage, HubMessage>> ConnectAsync(GrpcChannel channel, string unit)
    {
        var call = new PatrolService.PatrolServiceClient(channel).Connect();
        await call.RequestStream.WriteAsync(new UnitMessage { Hello = new Hello { UnitId = unit } });
        Assert.True(await call.ResponseStream.MoveNext().WaitAsync(Timeout));
        Assert.Equal(HubMessage.BodyOneofCase.Welcome, call.ResponseStream.Current.BodyCase);
        return call;
    }

    /// <summary>The first audit event the nation's reviewer sees that matches, once what the hub gathered is recorded.</summary>
    private async Task<AuditEvent> AuditAsync(string nation, Func<AuditEvent, bool> match)
    {
        await _hub.App.Services.GetRequiredService<SecurityAudit>().FlushAsync().WaitAsync(Timeout);
        using var channel = Channel(IdentitySpec.Reviewer(nation));
        using var call = new ReviewService.ReviewServiceClient(channel).Audit(new AuditRequest { Since = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(-1)) });
        var events = await call.ResponseStream.ReadAllAsync().ToListAsync();
        Assert.Contains(events, e => match(e));
        return events.First(match);
    }

    private static PositionUpdate Position(ulong seq = 1, Timestamp? time = null, double latitude = 31.34, float speed = 3)
        => new()
        {
            Sequence = seq,
            GnssTime = time ?? Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
            Latitude = latitude,
            Longitude = -110.95,
            AccuracyM = 5,
            HeadingDeg = 90,
            SpeedMps = speed,
        };

    private GrpcChannel Channel(IdentitySpec identity) => _hub.Channel(identity);

    /// <summary>A certificate from the U.S. CA that breaks one rule.</summary>
    private X509Certificate2 Issue(string uri, string shape)
    {
        using var ca = X509CertificateLoader.LoadPkcs12FromFile(Pki.PathOf("us-ca.pfx"), null, X509KeyStorageFlags.Exportable);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=malformed, O=PatrolHub US", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(new Uri(uri));
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(shape == "ca-leaf", false, 0, true));
        if (shape == "ca-leaf") request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(PatrolHub.Hub.Security.CallerIdentities.ClientAuthentication)], false));
        if (shape == "server-eku") request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        var now = DateTimeOffset.UtcNow;
        using var signed = request.Create(ca, now.AddMinutes(-5), now.AddDays(1), RandomNumberGenerator.GetBytes(16));
        return signed.CopyWithPrivateKey(key);
    }
}
