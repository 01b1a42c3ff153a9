using Microsoft.Extensions.Options;
using PatrolHub.Client.Connection;
using PatrolHub.Hub.Hosting;

SharedBuffers.SizeForManyConnections();
try
{
    await HubApp.Build(args).RunAsync();
    return 0;
}
catch (Exception e) when (e is OptionsValidationException or InvalidOperationException or IOException or UnauthorizedAccessException)
{
    // A hub that cannot start says why in one sentence; the stack trace would only hide it.
    await Console.Error.WriteLineAsync($"PatrolHub cannot start: {e.Message}");
    return 1;
}
