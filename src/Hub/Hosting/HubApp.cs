namespace PatrolHub.Hub.Hosting;

/// <summary>Builds the hub application; Program and the end-to-end tests both start it here.</summary>
public static class HubApp
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // "--demo" is a switch, which the command-line configuration provider does not read on its own.
        var demo = args.Contains("--demo");
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = [.. args.Where(a => a != "--demo")],
            // Settings ship beside the binary; data paths stay relative to where the hub was started.
            ContentRootPath = AppContext.BaseDirectory,
        });
        if (demo) builder.Configuration["Hub:Demo"] = "true";
        configure?.Invoke(builder);
        builder.AddPatrolHub();
        var app = builder.Build();
        app.MapPatrolHub();
        return app;
    }
}
