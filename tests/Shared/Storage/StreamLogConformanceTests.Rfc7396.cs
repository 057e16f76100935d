using System.Text.Json.Nodes;

namespace Reactive.Streams.Storage.Tests;

/// <summary>
/// RFC 7396's own examples (section 3 and appendix A), each run through the backend itself, as a reviewer of issue 7
/// would: the original document is built with summary appends, the RFC's patch is appended, and the stored summary
/// must be the RFC's result. PostgreSQL merges on the server (<c>rs_merge_patch</c>), Redis and the others in .NET, so
/// the RFC is the oracle here, not <see cref="JsonMergePatch"/>.
/// </summary>
public abstract partial class StreamLogConformanceTests
{
    public static TheoryData<string, string, string> Rfc7396Examples => new()
    {
        // Section 3.
        {
            """{"title":"Goodbye!","author":{"givenName":"John","familyName":"Doe"},"tags":["example","sample"],"content":"This will be unchanged"}""",
            """{"title":"Hello!","phoneNumber":"+01-123-456-7890","author":{"familyName":null},"tags":["example"]}""",
            """{"title":"Hello!","author":{"givenName":"John"},"tags":["example"],"content":"This will be unchanged","phoneNumber":"+01-123-456-7890"}"""
        },
        // Appendix A, in order.
        { """{"a":"b"}""", """{"a":"c"}""", """{"a":"c"}""" },
        { """{"a":"b"}""", """{"b":"c"}""", """{"a":"b","b":"c"}""" },
        { """{"a":"b"}""", """{"a":null}""", """{}""" },
        { """{"a":"b","b":"c"}""", """{"a":null}""", """{"b":"c"}""" },
        { """{"a":["b"]}""", """{"a":"c"}""", """{"a":"c"}""" },
        { """{"a":"c"}""", """{"a":["b"]}""", """{"a":["b"]}""" },
        { """{"a":{"b":"c"}}""", """{"a":{"b":"d","c":null}}""", """{"a":{"b":"d"}}""" },
        { """{"a":[{"b":"c"}]}""", """{"a":[1]}""", """{"a":[1]}""" },
        { """["a","b"]""", """["c","d"]""", """["c","d"]""" },
        { """{"a":"b"}""", """["c"]""", """["c"]""" },
        { """{"a":"foo"}""", "null", "null" },
        { """{"a":"foo"}""", "\"bar\"", "\"bar\"" },
        { """{"e":null}""", """{"a":1}""", """{"e":null,"a":1}""" },
        { """[1,2]""", """{"a":"b","c":null}""", """{"a":"b"}""" },
        { """{}""", """{"a":{"bb":{"ccc":null}}}""", """{"a":{"bb":{}}}""" },
    };

    [Theory]
    [MemberData(nameof(Rfc7396Examples))]
    public async Task Each_RFC_7396_example_gives_the_RFC_result_through_a_single_append_and_a_batch(string original, string patch, string result)
    {
        var log = await CreateAsync(requireObjectPatch: false);
        var single = NewStream();
        var batched = NewStream();
        var setup = Setup(JsonNode.Parse(original));

        // One append builds the original, the next applies the RFC's patch.
        var built = await log.AppendAsync(single, setup, AppendMode.DurableSummary);
        AssertJson(original, (await log.ReadSummaryAsync(single))!.Document);
        var patched = await log.AppendAsync(single, patch, AppendMode.DurableSummary);

        // The same two patches in one batch (PostgreSQL: rs_append_many, the path of every non-durable append).
        var batch = await log.AppendBatchAsync(batched, [Utf8(setup), Utf8(patch)], AppendMode.DurableSummary);

        Assert.Equal((1, 2), (built.SummaryVersion, patched.SummaryVersion));
        Assert.Equal(2, batch.SummaryVersion);
        foreach (var stream in new[] { single, batched })
        {
            var summary = await log.ReadSummaryAsync(stream);
            AssertJson(result, summary!.Document);
            Assert.Equal(2, summary.Version);
            Assert.Equal([setup, patch], (await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10)).Select(Text));
        }

        // A second instance (another process) reads the same document.
        var peer = await CreateAsync(requireObjectPatch: false);
        AssertJson(result, (await peer.ReadSummaryAsync(single))!.Document);
    }

    /// <summary>
    /// The patch that builds <paramref name="original"/> from no document: the original itself, with each JSON null
    /// member written as the null sentinel (a null member of a patch deletes; the sentinel stores JSON null). Nulls
    /// inside arrays stay as they are, since arrays replace whole.
    /// </summary>
    private static string Setup(JsonNode? original)
    {
        return Sentinel(original)?.ToJsonString() ?? "null";

        static JsonNode? Sentinel(JsonNode? node) => node switch
        {
            JsonObject o => new JsonObject(o.Select(m => KeyValuePair.Create(m.Key, m.Value is null ? (JsonNode?)JsonValue.Create(JsonMergePatch.NullSentinel) : Sentinel(m.Value)))),
            _ => node?.DeepClone(),
        };
    }
}
