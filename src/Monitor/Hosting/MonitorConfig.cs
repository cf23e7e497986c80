using Monitor.Checks;
using Monitor.Configuration;
using Monitor.Delivery;

namespace Monitor.Hosting;

/// <summary>Monitor's configuration: the loader with every registered check and receiver kind.</summary>
internal static class MonitorConfig
{
    public static ConfigSchema Schema { get; } = new(CheckRegistry.Kinds, NotifierRegistry.Kinds);

    public static ConfigLoadResult Load(string path, Func<string, string?>? environment = null, Func<string, string>? readFile = null) =>
        ConfigLoader.Load(path, Schema, environment, readFile);

    public static ConfigLoadResult Parse(string text, string file, Func<string, string?>? environment = null, Func<string, string>? readFile = null) =>
        ConfigLoader.Parse(text, file, Schema, environment, readFile);
}
