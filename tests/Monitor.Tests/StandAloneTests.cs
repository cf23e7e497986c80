using System.Diagnostics;
using Monitor.Tests.TestSupport;

namespace Monitor.Tests;

/// <summary>
/// A clone stands alone: no tracked file points at the reading material that sits beside the repository on the
/// developers' machines (a user's clone has none), and no log or database is tracked.
/// </summary>
public sealed class StandAloneTests
{
    // Spelled in pieces so that this file does not name what it looks for.
    private static readonly string[] Forbidden = ["../" + "shared", "shared/" + "seeds", "shared/" + "fixtures", "SPEC" + ".md", "METRICS" + ".md", "PROTOCOLS" + ".md", "STYLE" + ".md", "SPEC" + " §"];

    private static List<string> TrackedFiles()
    {
        var info = new ProcessStartInfo("git", ["-C", Repository.Root, "ls-files", "-z"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var git = Process.Start(info)!;
        string output = git.StandardOutput.ReadToEnd();
        git.WaitForExit();
        if (git.ExitCode == 0)
        {
            return [.. output.Split('\0', StringSplitOptions.RemoveEmptyEntries)];
        }

        // Not a git checkout (an exported tarball): every file but build output.
        return [.. Directory.EnumerateFiles(Repository.Root, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Repository.Root, f))
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj" or ".git"))];
    }

    [Fact]
    public void NoTrackedFile_NamesTheDevelopersReadingMaterial()
    {
        var files = TrackedFiles();
        Assert.Contains("README.md", files);
        var offenders = new List<string>();
        foreach (string file in files)
        {
            string path = Path.Combine(Repository.Root, file);
            if (!File.Exists(path) || new FileInfo(path).Length > 4 << 20)
            {
                continue;
            }

            string[] lines = File.ReadAllLines(path);
            for (int i = 0; i < lines.Length; i++)
            {
                foreach (string needle in Forbidden.Where(n => lines[i].Contains(n, StringComparison.Ordinal)))
                {
                    offenders.Add($"{file}:{i + 1}: names {needle}");
                }
            }
        }

        Assert.True(offenders.Count == 0, "write it into docs/ or tests/fixtures/ instead:\n" + string.Join('\n', offenders));
    }

    [Fact]
    public void NoLogOrDatabase_IsTracked()
    {
        string[] suffixes = [".log", ".db", ".db-wal", ".db-shm"];
        Assert.DoesNotContain(TrackedFiles(), f => suffixes.Any(suffix => f.EndsWith(suffix, StringComparison.Ordinal)));
    }
}
