using Monitor.Hosting;

return await CommandLine.RunAsync(args, Console.Out, Console.Error);
