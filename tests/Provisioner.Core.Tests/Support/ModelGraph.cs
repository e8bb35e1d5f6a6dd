using System.Collections;
using System.Collections.Immutable;
using System.Reflection;
using Provisioner.Core.Model;

namespace Provisioner.Core.Tests.Support;

/// <summary>
/// The lab model walked by reflection, so a property added to any record of it is covered without editing a spec:
/// <see cref="Differences"/> compares two labs leaf by leaf (key comparers of maps included), <see cref="Filled"/>
/// builds a lab where every leaf differs from its default.
/// </summary>
internal static class ModelGraph
{
    /// <summary>The properties a lab is made of: public, instance, settable (init); computed ones are get-only.</summary>
    public static IEnumerable<PropertyInfo> Stored(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is not null && p.GetIndexParameters().Length == 0);

    /// <summary>Get-only properties with a compiler-made backing field: state that no <c>init</c> sets, so none a cache writes.</summary>
    public static IEnumerable<string> GetOnlyState(Type root) => Records(root).SelectMany(t => t
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.SetMethod is null && t.GetField($"<{p.Name}>k__BackingField", BindingFlags.NonPublic | BindingFlags.Instance) is not null)
        .Select(p => $"{t.Name}.{p.Name}"));

    public static IReadOnlyList<string> Differences(object? expected, object? actual, string path = "lab")
    {
        var found = new List<string>();
        Compare(expected, actual, path, found);
        return found;
    }

    private static void Compare(object? expected, object? actual, string path, List<string> found)
    {
        if (expected is null || actual is null)
        {
            if (expected is not null || actual is not null)
                found.Add($"{path}: {expected ?? "null"} vs {actual ?? "null"}");
            return;
        }
        var type = expected.GetType();
        if (type != actual.GetType())
            found.Add($"{path}: {type.Name} vs {actual.GetType().Name}");
        else if (type == typeof(ImmutableSortedDictionary<string, string>))
        {
            var (e, a) = ((ImmutableSortedDictionary<string, string>)expected, (ImmutableSortedDictionary<string, string>)actual);
            if (!ReferenceEquals(e.KeyComparer, a.KeyComparer) || !e.SequenceEqual(a))
                found.Add($"{path}: {{{string.Join(",", e)}}} ({e.KeyComparer}) vs {{{string.Join(",", a)}}} ({a.KeyComparer})");
        }
        else if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ImmutableArray<>))
        {
            var (e, a) = (((IEnumerable)expected).Cast<object?>().ToList(), ((IEnumerable)actual).Cast<object?>().ToList());
            if (e.Count != a.Count)
                found.Add($"{path}: {e.Count} items vs {a.Count}");
            for (var i = 0; i < Math.Min(e.Count, a.Count); i++)
                Compare(e[i], a[i], $"{path}[{i}]", found);
        }
        else if (IsRecord(type))
        {
            foreach (var property in Stored(type))
                Compare(property.GetValue(expected), property.GetValue(actual), $"{path}.{property.Name}", found);
        }
        else if (!expected.Equals(actual))
            found.Add($"{path}: {expected} vs {actual}");
    }

    private static bool IsRecord(Type type) => type.IsClass && type != typeof(string) && type.Namespace == typeof(LabConfig).Namespace;

    private static IEnumerable<Type> Records(Type root)
    {
        var seen = new HashSet<Type>();
        var next = new Stack<Type>([root]);
        while (next.TryPop(out var type))
        {
            if (!seen.Add(type))
                continue;
            if (IsRecord(type))
                yield return type;
            foreach (var inner in IsRecord(type) ? Stored(type).Select(p => p.PropertyType) : type.IsGenericType ? type.GetGenericArguments() : [])
                next.Push(inner);
        }
    }

    /// <summary>A lab whose every stored leaf holds a value other than its default (and other leaves' values).</summary>
    public static LabConfig Filled() => (LabConfig)new Filler().Fill(typeof(LabConfig), null, "lab")!;

    private sealed class Filler
    {
        private int _next = 7;

        public object? Fill(Type type, object? fallback, string path)
        {
            if (Nullable.GetUnderlyingType(type) is { } inner)
                return Fill(inner, null, path);
            if (type == typeof(string))
                return $"{path}-{_next++}";
            if (type == typeof(int))
                return (int)(fallback ?? 0) + _next++;
            if (type == typeof(bool))
                return !(bool)(fallback ?? false);
            if (type == typeof(ByteSize))
                return new ByteSize(((ByteSize)(fallback ?? default(ByteSize))).Bytes + _next++);
            if (type.IsEnum)
                return Enum.GetValues(type).Cast<object>().Last(v => !v.Equals(fallback ?? Activator.CreateInstance(type)));
            if (type == typeof(ImmutableSortedDictionary<string, string>))
                return ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal).Add($"{path}-k", $"{path}-v").Add($"{path}-K", $"{path}-V");
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ImmutableArray<>))
            {
                var element = type.GetGenericArguments()[0];
                var items = Array.CreateInstance(element, 2);
                for (var i = 0; i < items.Length; i++)
                    items.SetValue(Fill(element, null, $"{path}[{i}]"), i);
                return typeof(ImmutableArray).GetMethods().Single(m => m.Name == nameof(ImmutableArray.Create) && m.GetParameters() is [{ ParameterType.IsArray: true }])
                    .MakeGenericMethod(element).Invoke(null, [items]);
            }
            if (IsRecord(type))
                return Record(type, path);
            throw new NotSupportedException($"{path}: no filler for {type}; teach ModelGraph (and make sure the stack cache stores it)");
        }

        private object Record(Type type, string path)
        {
            if (type.GetConstructor(Type.EmptyTypes) is null)
            {
                var constructor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
                return constructor.Invoke([.. constructor.GetParameters().Select(p => Fill(p.ParameterType, null, $"{path}.{p.Name}"))]);
            }
            var record = Activator.CreateInstance(type)!;
            foreach (var property in Stored(type))
                property.SetValue(record, Fill(property.PropertyType, property.GetValue(record), $"{path}.{property.Name}"));
            return record;
        }
    }
}
