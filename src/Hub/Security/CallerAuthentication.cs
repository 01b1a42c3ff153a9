using System.Globalization;
using Grpc.Core;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using PatrolHub.Grains.Security;
using PatrolHub.Hub.Hosting;

namespace PatrolHub.Hub.Security;

/// <summary>
/// Who is calling, settled before the gRPC service reads a byte of the request. The <see cref="Policy"/> asks
/// <see cref="CallerIdentities"/> for the identity of the connection's certificate on every call (its chain to one
/// nation's CA, the rules, revocation and expiry against the clock), and keeps it for the services, which read it
/// with <see cref="Of"/>. A caller refused gets UNAUTHENTICATED with the reason, as a gRPC status, not an HTTP error.
/// </summary>
public static class CallerAuthentication
{
    public const string Policy = "patrolhub-identity";

    private const string Key = "patrolhub.identity";

    public static Identity Of(ServerCallContext context) => Of(context.GetHttpContext());

    public static Identity Of(HttpContext http) =>
        Find(http) ?? throw new InvalidOperationException("This endpoint was mapped without the identity policy.");

    /// <summary>The caller's identity; null on the endpoints open to anyone (health).</summary>
    public static Identity? Find(HttpContext http) => http.Items[Key] as Identity;

    public static void AddCallerAuthentication(this IServiceCollection services)
    {
        // No authentication scheme: the certificate was checked in the TLS handshake (CallerIdentities.IsAcceptable),
        // and the policy below resolves and checks it again on every call from the same cached answer. ASP.NET Core's
        // certificate authentication would build the chain a second time.
        services.AddSingleton<IAuthorizationHandler, CurrentIdentity>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, RefusalWriter>();
        services.AddAuthorizationBuilder().AddPolicy(Policy, policy => policy.AddRequirements(new IdentityRequirement()));
    }

    /// <summary>Ends a call before its handler runs, with a gRPC status in the response headers (trailers-only).</summary>
    public static Task WriteStatusAsync(HttpContext http, StatusCode code, string message)
    {
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = "application/grpc";
        http.Response.Headers["grpc-status"] = ((int)code).ToString(CultureInfo.InvariantCulture);
        http.Response.Headers["grpc-message"] = Uri.EscapeDataString(message);
        return Task.CompletedTask;
    }

    private sealed class IdentityRequirement : IAuthorizationRequirement;

    /// <summary>The identity the connection's certificate names, checked now.</summary>
    private sealed class CurrentIdentity(CallerIdentities identities) : AuthorizationHandler<IdentityRequirement>
    {
        protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, IdentityRequirement requirement)
        {
            if (context.Resource is not HttpContext http) return Task.CompletedTask;
            if (identities.TryResolve(http.Connection.ClientCertificate, out var identity, out var error))
            {
                http.Items[Key] = identity;
                context.Succeed(requirement);
            }
            else
            {
                context.Fail(new AuthorizationFailureReason(this, error));
            }

            return Task.CompletedTask;
        }
    }

    /// <summary>Answers a refused caller with UNAUTHENTICATED and the reason, and records the refusal.</summary>
    private sealed class RefusalWriter(CallerIdentities identities, SecurityAudit audit) : IAuthorizationMiddlewareResultHandler
    {
        public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
        {
            if (authorizeResult.Succeeded) return next(context);
            var certificate = context.Connection.ClientCertificate;
            var reason = authorizeResult.AuthorizationFailure?.FailureReasons.FirstOrDefault()?.Message
                ?? (identities.TryResolve(certificate, out _, out var error) ? "the client certificate failed validation." : error);
            if (certificate is not null) audit.CertificateRefused(certificate, reason, context.Request.Path);
            return WriteStatusAsync(context, StatusCode.Unauthenticated, reason);
        }
    }
}
