using PatrolHub.Hub.Hosting;

await HubApp.Build(args).RunAsync();
