using System.Text.Json.Nodes;

namespace Reactive.Streams.Tests.Storage;

/// <summary>The examples of RFC 7396 appendix A, plus the null sentinel.</summary>
public sealed class JsonMergePatchTests
{
    [Theory]
    [InlineData("""{"a":"b"}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"b":"c"}""", """{"a":"b","b":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"a":null}""", """{}""")]
    [InlineData("""{"a":"b","b":"c"}""", """{"a":null}""", """{"b":"c"}""")]
    [InlineData("""{"a":["b"]}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"c"}""", """{"a":["b"]}""", """{"a":["b"]}""")]
    [InlineData("""{"a":{"b":"c"}}""", """{"a":{"b":"d","c":null}}""", """{"a":{"b":"d"}}""")]
    [InlineData("""{"a":[{"b":"c"}]}""", """{"a":[1]}""", """{"a":[1]}""")]
    [InlineData("""["a","b"]""", """["c","d"]""", """["c","d"]""")]
    [InlineData("""{"a":"b"}""", """["c"]""", """["c"]""")]
    [InlineData("""{"a":"foo"}""", "null", "null")]
    [InlineData("""{"a":"foo"}""", "\"bar\"", "\"bar\"")]
    [InlineData("""{"e":null}""", """{"a":1}""", """{"e":null,"a":1}""")]
    [InlineData("""[1,2]""", """{"a":"b","c":null}""", """{"a":"b"}""")]
    [InlineData("""{}""", """{"a":{"bb":{"ccc":null}}}""", """{"a":{"bb":{}}}""")]
    [InlineData(null, """{"a":1}""", """{"a":1}""")]
    [InlineData("""{"a":1}""", """{"a":"$null"}""", """{"a":null}""")]
    [InlineData("""{"a":1}""", """{"b":{"c":"$null"}}""", """{"a":1,"b":{"c":null}}""")]
    [InlineData("""{"a":1}""", """{"b":["$null"]}""", """{"a":1,"b":["$null"]}""")]
    public void Apply_follows_RFC_7396(string? target, string patch, string expected)
    {
        var result = JsonMergePatch.Apply(target, patch);

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), JsonNode.Parse(result)), $"expected {expected}, got {result}");
    }

    [Theory]
    [InlineData("""{"x":1}""", """{"a":1,"a":2}""")]
    [InlineData("""{"x":1,"x":2}""", """{"a":1}""")]
    [InlineData(null, """{"a":{"b":1,"b":2}}""")]
    public void Apply_on_text_refuses_a_repeated_member_name_with_JsonException(string? target, string patch) =>
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => JsonMergePatch.Apply(target, patch));

    [Fact]
    public void Apply_does_not_modify_its_arguments()
    {
        var target = JsonNode.Parse("""{"a":{"b":1}}""");
        var patch = JsonNode.Parse("""{"a":{"c":[1]}}""");

        var result = JsonMergePatch.Apply(target, patch);

        Assert.Equal("""{"a":{"b":1}}""", target!.ToJsonString());
        Assert.Equal("""{"a":{"c":[1]}}""", patch!.ToJsonString());
        Assert.Equal("""{"a":{"b":1,"c":[1]}}""", result!.ToJsonString());
    }
}
