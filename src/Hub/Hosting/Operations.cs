using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Dashboard;

namespace PatrolHub.Hub.Hosting;

/// <summary>
/// The operator's two ports, plain HTTP, on localhost unless set otherwise: <c>GET /health</c> on
/// <see cref="HubOptions.HealthUrl"/>, and the Orleans Dashboard under <c>/dashboard/</c> on
/// <see cref="HubOptions.DashboardUrl"/>. Each path answers only on its own port, told by the port the connection
/// arrived on (a Host header can say anything), and nothing else answers there; the hub's own port answers neither.
/// </summary>
internal static class Operations
{
    public const string HealthPath = "/health";
    public const string DashboardPath = "/dashboard";

    public static void Listen(KestrelServerOptions kestrel, HubOptions hub)
    {
        foreach (var url in new[] { hub.HealthUrl, hub.DashboardUrl }.Where(u => !string.IsNullOrWhiteSpace(u)))
        {
            HubHostingExtensions.Listen(kestrel, new Uri(url!), listen => listen.Protocols = HttpProtocols.Http1);
        }
    }

    public static void Map(WebApplication app, HubOptions hub)
    {
        app.Use((context, next) =>
        {
            var (port, path) = (context.Connection.LocalPort, context.Request.Path);
            var answers = port == hub.HealthPort ? path == HealthPath
                : port == hub.DashboardPort ? path.StartsWithSegments(DashboardPath)
                : !path.StartsWithSegments(HealthPath) && !path.StartsWithSegments(DashboardPath);
            if (answers) return next(context);
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });
        if (hub.HealthPort is not null) app.MapHealthChecks(HealthPath, new HealthCheckOptions { ResponseWriter = WriteAsync });
        if (hub.DashboardPort is not null) app.MapOrleansDashboard(DashboardPath);
    }

    /// <summary>The report as JSON: the overall status, and each check's status, description and data.</summary>
    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return JsonSerializer.SerializeAsync(context.Response.Body, new
        {
            status = Name(report.Status),
            checks = report.Entries.ToDictionary(e => e.Key, e => new
            {
                status = Name(e.Value.Status),
                description = e.Value.Description,
                data = e.Value.Data.Count == 0 ? null : e.Value.Data,
            }),
        }, cancellationToken: context.RequestAborted);
    }

    private static string Name(HealthStatus status) => status.ToString().ToLowerInvariant();
}
