using YamlDotNet.Core;

namespace Monitor.Configuration;

/// <summary>What a configuration read needs from the outside, and where its errors go.</summary>
internal sealed class ConfigContext
{
    public ConfigContext(string file, Func<string, string?> environment, Func<string, string> readFile)
    {
        File = file;
        Environment = environment;
        ReadFile = readFile;
        BaseDirectory = Path.GetDirectoryName(Path.GetFullPath(file)) ?? ".";
    }

    public string File { get; }

    /// <summary>Directory that relative paths in the file (secret files, rule globs) are resolved against.</summary>
    public string BaseDirectory { get; }

    public Func<string, string?> Environment { get; }

    public Func<string, string> ReadFile { get; }

    public List<ConfigError> Errors { get; } = [];

    /// <summary>Whether <c>${VAR}</c> and <c>$$</c> are expanded; off for rule files, whose templates use <c>$</c>.</summary>
    public bool ExpandVariables { get; init; } = true;

    public void Error(Mark mark, string message) => Errors.Add(new ConfigError(File, mark.Line, mark.Column, message));

    public string ResolvePath(string path) => Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(BaseDirectory, path));
}
