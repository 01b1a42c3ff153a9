PatrolHub.Client.Connection.SharedBuffers.SizeForManyConnections();
return await PatrolHub.Client.Cli.CliApp.RunAsync(args);
