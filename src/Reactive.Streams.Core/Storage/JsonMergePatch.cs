using System.Text.Json;
using System.Text.Json.Nodes;

namespace Reactive.Streams;

/// <summary>
/// RFC 7396 JSON merge patch, the rule by which <see cref="AppendMode.DurableSummary"/> appends update a stream's
/// summary: an object patch merges into the target member by member (recursively; a <c>null</c> member deletes the
/// target's member), and any other patch (array, string, number, boolean, null) replaces the target whole.
/// One extension: a string equal to <see cref="NullSentinel"/> sets the value to JSON <c>null</c> instead,
/// since a plain <c>null</c> in a merge patch can only delete.
/// </summary>
public static class JsonMergePatch
{
    /// <summary>
    /// The string <c>"$null"</c>: as a member value in a patch (or as the whole patch) it sets the value to JSON
    /// <c>null</c>. Inside an array it has no special meaning, since arrays replace whole.
    /// </summary>
    public const string NullSentinel = "$null";

    /// <summary>Applies <paramref name="patch"/> to <paramref name="target"/>. Neither argument is modified.</summary>
    /// <param name="target">The document; null means JSON null (or no document yet).</param>
    /// <param name="patch">The patch; null means JSON null.</param>
    /// <returns>A new document (null for JSON null).</returns>
    public static JsonNode? Apply(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
        {
            return IsSentinel(patch) ? null : patch?.DeepClone();
        }

        var result = target is JsonObject targetObject ? (JsonObject)targetObject.DeepClone() : new JsonObject();
        MergeInto(result, patchObject);
        return result;
    }

    /// <summary>Applies a patch given as JSON text to a document given as JSON text.</summary>
    /// <param name="targetJson">The document, or null when there is none yet.</param>
    /// <param name="patchJson">The patch.</param>
    /// <returns>The new document as compact JSON.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="patchJson"/> is null.</exception>
    /// <exception cref="JsonException">Either text is not JSON, or repeats a member name within one object.</exception>
    public static string Apply(string? targetJson, string patchJson)
    {
        ArgumentNullException.ThrowIfNull(patchJson);
        var target = targetJson is null ? null : JsonNode.Parse(targetJson, documentOptions: s_parseOptions);
        return Serialize(Apply(target, JsonNode.Parse(patchJson, documentOptions: s_parseOptions)));
    }

    // A member name repeated within one object is refused while parsing (a JsonException, as for any other bad text);
    // JsonObject would otherwise throw ArgumentException when the merge first enumerates it.
    private static readonly JsonDocumentOptions s_parseOptions = new() { AllowDuplicateProperties = false };

    internal static string Serialize(JsonNode? node) => node is null ? "null" : node.ToJsonString();

    private static void MergeInto(JsonObject target, JsonObject patch)
    {
        foreach (var (name, value) in patch)
        {
            if (value is null)
            {
                target.Remove(name);
            }
            else if (IsSentinel(value))
            {
                target[name] = null;
            }
            else if (value is JsonObject childPatch)
            {
                if (target[name] is not JsonObject childTarget)
                {
                    childTarget = new JsonObject();
                    target[name] = childTarget;
                }

                MergeInto(childTarget, childPatch);
            }
            else
            {
                target[name] = value.DeepClone();
            }
        }
    }

    private static bool IsSentinel(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.String && value.GetValue<string>() == NullSentinel;
}
