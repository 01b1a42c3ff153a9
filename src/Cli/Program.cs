return await PatrolHub.Client.Cli.CliApp.RunAsync(args);
