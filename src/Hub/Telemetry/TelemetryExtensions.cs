using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using PatrolHub.Grains.Telemetry;

namespace PatrolHub.Hub.Telemetry;

public static class TelemetryExtensions
{
    /// <summary>Whether traces go anywhere: only when OTEL_EXPORTER_OTLP_ENDPOINT is set. Spans nobody exports would
    /// cost every request and grain call for nothing.</summary>
    public static bool Exporting(IConfiguration configuration) => !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);

    /// <summary>Metrics from ASP.NET Core, Orleans and the hub itself, always (dotnet-counters reads them); traces from
    /// ASP.NET Core and gRPC, Orleans and the hub, exported over OTLP when an endpoint is set.</summary>
    public static IHostApplicationBuilder AddHubTelemetry(this IHostApplicationBuilder builder)
    {
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("patrolhub"))
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddMeter("Microsoft.Orleans", HubMetrics.Name));
        if (Exporting(builder.Configuration))
        {
            telemetry
                .WithTracing(tracing => tracing
                    .AddAspNetCoreInstrumentation()
                    .AddSource("Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application", HubMetrics.Name))
                .UseOtlpExporter();
        }

        return builder;
    }
}
