using System.Reflection;
using System.Reflection.Emit;
using System.Text.RegularExpressions;
using Monitor.Tests.TestSupport;

namespace Monitor.Tests;

/// <summary>
/// The arrows between Monitor's folders run one way: data flows from configuration and checks through the series
/// store and the rules to alerting and delivery, and nothing downstream reaches back upstream. The test reads what
/// every type of the compiled assembly uses — signatures and the members its IL calls, loads and creates — maps
/// each type to its folder by namespace (namespace = folder, checked too), and fails on any arrow outside the list
/// below and on any cycle between folders.
/// </summary>
public sealed partial class ArchitectureTests
{
    /// <summary>The folders each folder may use. Hosting composes everything; Program starts Hosting.</summary>
    private static readonly Dictionary<string, string[]> Allowed = new(StringComparer.Ordinal)
    {
        ["GoCompat"] = [],
        ["Configuration"] = [],
        ["Templating"] = ["GoCompat"],
        ["Metrics"] = [],
        ["Checks"] = ["Configuration", "GoCompat", "Metrics"],
        ["Scheduling"] = ["Checks", "Configuration", "Metrics"],
        ["Rules"] = ["Configuration", "GoCompat", "Metrics", "Templating"],
        ["Alerting"] = ["Configuration", "Metrics", "Rules"],
        ["Delivery"] = ["Alerting", "Configuration", "Metrics", "Templating"],
        ["Api"] = ["Alerting", "Configuration", "Metrics", "Scheduling"],
        ["Hosting"] = ["Alerting", "Api", "Checks", "Configuration", "Delivery", "Metrics", "Rules", "Scheduling", "Templating"],
        [""] = ["Hosting"],
    };

    private static readonly Assembly Product = typeof(Monitor.Metrics.SeriesStore).Assembly;

    private static string Folder(Type type)
    {
        string ns = type.Namespace ?? "";
        return ns == "Monitor" || !ns.StartsWith("Monitor.", StringComparison.Ordinal) ? "" : ns["Monitor.".Length..].Split('.')[0];
    }

    [Fact]
    public void Arrows_BetweenFolders_AreOnlyTheAllowedOnes_AndFormNoCycle()
    {
        var graph = Graph();
        var unknown = graph.Keys.Where(f => !Allowed.ContainsKey(f)).ToList();
        Assert.True(unknown.Count == 0, $"folders without a rule in the allowed list: {string.Join(", ", unknown)}");

        var wrong = graph
            .SelectMany(kv => kv.Value.Where(to => !Allowed[kv.Key].Contains(to)).Select(to => $"{Name(kv.Key)} → {Name(to)} (e.g. {Example(kv.Key, to)})"))
            .ToList();
        Assert.True(wrong.Count == 0, "arrows outside the allowed list:\n" + string.Join('\n', wrong));
        Assert.Empty(Cycles(graph));
    }

    [Fact]
    public void AllowedList_HasNoCycle_SoNoFutureArrowCanCloseOne()
    {
        var graph = Allowed.ToDictionary(kv => kv.Key, kv => kv.Value.ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);
        Assert.Empty(Cycles(graph));
    }

    [Fact]
    public void EverySourceFile_DeclaresTheNamespaceOfItsFolder()
    {
        string src = Repository.File("src/Monitor");
        var wrong = new List<string>();
        foreach (string file in Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories).Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal) && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
        {
            string relative = Path.GetRelativePath(src, Path.GetDirectoryName(file)!);
            string expected = relative == "." ? "Monitor" : "Monitor." + relative.Replace(Path.DirectorySeparatorChar, '.');
            var declared = NamespaceDeclaration().Match(File.ReadAllText(file));
            if (declared.Success && declared.Groups[1].Value != expected)
            {
                wrong.Add($"{Path.GetRelativePath(src, file)}: namespace {declared.Groups[1].Value}, folder says {expected}");
            }
        }

        Assert.True(wrong.Count == 0, string.Join('\n', wrong));
    }

    [Fact]
    public void Reader_SeesAnArrowCarriedOnlyByIL()
    {
        // The reader is what the other tests rest on: a lambda's call into another folder, with no signature
        // mentioning it, must show (CheckFactory builds checks through the kinds' Create delegates).
        var uses = Uses(typeof(Monitor.Checks.CheckFactory));
        Assert.Contains(uses, t => t == typeof(Monitor.Checks.CheckContext));
        Assert.Contains(uses, t => Folder(t) == "Metrics");
    }

    private static string Name(string folder) => folder.Length == 0 ? "Program" : folder;

    private static readonly Dictionary<(string From, string To), string> Examples = [];

    private static string Example(string from, string to) => Examples.GetValueOrDefault((from, to), "?");

    private static Dictionary<string, HashSet<string>> Graph()
    {
        var graph = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var type in Product.GetTypes().Where(t => !Outermost(t).Name.StartsWith('<')))
        {
            string from = Folder(Outermost(type));
            if (!graph.TryGetValue(from, out var set))
            {
                set = new HashSet<string>(StringComparer.Ordinal);
                graph[from] = set;
            }

            foreach (var used in Uses(type))
            {
                string to = Folder(Outermost(used));
                if (to != from && set.Add(to))
                {
                    Examples[(from, to)] = $"{type.FullName} uses {used.FullName}";
                }
            }
        }

        return graph;
    }

    /// <summary>Compiler-generated types (lambdas, state machines) belong to the type they are nested in.</summary>
    private static Type Outermost(Type type)
    {
        while (type.DeclaringType is { } outer)
        {
            type = outer;
        }

        return type;
    }

    private static List<string> Cycles(Dictionary<string, HashSet<string>> graph)
    {
        var cycles = new List<string>();
        foreach (string start in graph.Keys)
        {
            var path = new Stack<string>();
            Visit(start);

            void Visit(string node)
            {
                path.Push(node);
                foreach (string next in graph.GetValueOrDefault(node) ?? [])
                {
                    if (next == start)
                    {
                        cycles.Add(string.Join(" → ", path.Reverse().Select(Name).Append(Name(start))));
                    }
                    else if (!path.Contains(next) && string.CompareOrdinal(next, start) > 0)
                    {
                        Visit(next);
                    }
                }

                path.Pop();
            }
        }

        return cycles;
    }

    /// <summary>Every product type <paramref name="type"/> names in its signatures or uses in its IL.</summary>
    private static HashSet<Type> Uses(Type type)
    {
        var found = new HashSet<Type>();
        void Add(Type? t)
        {
            while (t is not null && (t.IsArray || t.IsByRef || t.IsPointer))
            {
                t = t.GetElementType();
            }

            if (t is null || t.IsGenericParameter)
            {
                return;
            }

            if (t.IsGenericType && !t.IsGenericTypeDefinition)
            {
                foreach (var argument in t.GetGenericArguments())
                {
                    Add(argument);
                }

                t = t.GetGenericTypeDefinition();
            }

            // Compiler-generated helpers (<PrivateImplementationDetails>, collection-expression types) belong to no folder.
            if (t.Assembly == Product && !Outermost(t).Name.StartsWith('<'))
            {
                found.Add(t);
            }
        }

        void AddMember(MemberInfo? member)
        {
            switch (member)
            {
                case Type t:
                    Add(t);
                    break;
                case FieldInfo f:
                    Add(f.DeclaringType);
                    Add(f.FieldType);
                    break;
                case MethodBase m:
                    Add(m.DeclaringType);
                    if (m is MethodInfo mi)
                    {
                        Add(mi.ReturnType);
                        if (mi.IsGenericMethod)
                        {
                            foreach (var argument in mi.GetGenericArguments())
                            {
                                Add(argument);
                            }
                        }
                    }

                    foreach (var p in m.GetParameters())
                    {
                        Add(p.ParameterType);
                    }

                    break;
            }
        }

        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        Add(type.BaseType);
        foreach (var i in type.GetInterfaces())
        {
            Add(i);
        }

        foreach (var field in type.GetFields(all))
        {
            Add(field.FieldType);
        }

        foreach (var property in type.GetProperties(all))
        {
            Add(property.PropertyType);
        }

        foreach (var method in type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all)))
        {
            AddMember(method);
            foreach (var member in IlMembers(method))
            {
                AddMember(member);
            }
        }

        found.Remove(type);
        return found;
    }

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    /// <summary>The fields, methods and types a method's IL refers to.</summary>
    private static IEnumerable<MemberInfo> IlMembers(MethodBase method)
    {
        byte[]? il;
        try
        {
            il = method.GetMethodBody()?.GetILAsByteArray();
        }
        catch (InvalidOperationException)
        {
            il = null;
        }

        if (il is null)
        {
            yield break;
        }

        var typeArguments = method.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        int i = 0;
        while (i < il.Length)
        {
            short value = il[i] == 0xFE && i + 1 < il.Length ? (short)(0xFE00 | il[i + 1]) : il[i];
            i += il[i] == 0xFE ? 2 : 1;
            if (!OpCodesByValue.TryGetValue(value, out var op))
            {
                yield break; // not a known opcode: stop rather than misread
            }

            switch (op.OperandType)
            {
                case OperandType.InlineField:
                case OperandType.InlineMethod:
                case OperandType.InlineTok:
                case OperandType.InlineType:
                    int token = BitConverter.ToInt32(il, i);
                    MemberInfo? member;
                    try
                    {
                        member = method.Module.ResolveMember(token, typeArguments, methodArguments);
                    }
                    catch (ArgumentException)
                    {
                        member = null;
                    }

                    if (member is not null)
                    {
                        yield return member;
                    }

                    i += 4;
                    break;
                case OperandType.InlineSwitch:
                    i += 4 + (4 * BitConverter.ToInt32(il, i));
                    break;
                case OperandType.InlineI8:
                case OperandType.InlineR:
                    i += 8;
                    break;
                case OperandType.InlineNone:
                    break;
                case OperandType.ShortInlineBrTarget:
                case OperandType.ShortInlineI:
                case OperandType.ShortInlineVar:
                    i += 1;
                    break;
                case OperandType.InlineVar:
                    i += 2;
                    break;
                default:
                    i += 4;
                    break;
            }
        }
    }

    [GeneratedRegex(@"^namespace\s+([A-Za-z0-9_.]+)\s*;", RegexOptions.Multiline)]
    private static partial Regex NamespaceDeclaration();
}
