using Grpc.Core;

namespace PatrolHub.Client.Cli;

internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int Usage = 2;
    public const int Denied = 3;
    public const int NotFound = 4;

    public static int For(RpcException e) => e.StatusCode switch
    {
        StatusCode.Unauthenticated or StatusCode.PermissionDenied => Denied,
        StatusCode.NotFound => NotFound,
        StatusCode.InvalidArgument => Usage,
        _ => Failure,
    };
}
