using Grpc.Core;
using PatrolHub.Hub.Security;
using PatrolHub.V1;

namespace PatrolHub.Hub.Errors;

/// <summary>
/// Looks at the first byte of a unary or server-streaming request, the compression flag of its one message, without
/// consuming it. grpc-dotnet reads that message before any interceptor and answers a flag other than 0 or 1 with
/// UNKNOWN; it is the client's mistake, so it is refused here with INVALID_ARGUMENT. Client streams are left alone (their
/// first message may not have been sent yet); their bad frames reach <see cref="ErrorInterceptor"/>.
/// </summary>
public static class FrameCheck
{
    private static readonly HashSet<string> SingleRequestPaths =
    [
        .. new[] { PatrolService.Descriptor, CommandService.Descriptor, ReviewService.Descriptor }
            .SelectMany(s => s.Methods)
            .Where(m => !m.IsClientStreaming)
            .Select(m => $"/{m.Service.FullName}/{m.Name}"),
    ];

    public static async Task InvokeAsync(HttpContext http, RequestDelegate next)
    {
        if (http.Request.Path.Value is { } path && SingleRequestPaths.Contains(path))
        {
            var result = await http.Request.BodyReader.ReadAsync(http.RequestAborted);
            var flag = result.Buffer.IsEmpty ? (byte)0 : result.Buffer.FirstSpan[0];
            http.Request.BodyReader.AdvanceTo(result.Buffer.Start);
            if (flag > 1)
            {
                await CallerAuthentication.WriteStatusAsync(http, StatusCode.InvalidArgument, $"the request's compression flag is {flag}; gRPC allows only 0 or 1.");
                return;
            }
        }

        await next(http);
    }
}
