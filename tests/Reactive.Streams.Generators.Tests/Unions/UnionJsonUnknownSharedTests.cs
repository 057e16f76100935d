using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Reactive.Streams.Generators.Tests.Fixtures;

namespace Reactive.Streams.Generators.Tests.Unions;

/// <summary>
/// An unknown variant's shared properties are found in its payload as a known variant's properties are, under the
/// same options: <c>PropertyNameCaseInsensitive</c> included.
/// </summary>
public sealed class UnionJsonUnknownSharedTests
{
    [Theory]
    [InlineData("""{"type":"lease_stolen","Execution_Id":"e-1"}""", "e-1")]
    [InlineData("""{"type":"lease_stolen","EXECUTION_ID":"e-0","execution_id":"e-1"}""", "e-1")]
    [InlineData("""{"type":"lease_stolen","execution_id":"e-1","EXECUTION_ID":"e-2"}""", "e-1")]
    public void Read_case_insensitively_a_shared_property_of_an_unknown_variant_is_found_as_a_known_variant_s_is(string json, string expected)
    {
        var options = new JsonSerializerOptions { TypeInfoResolver = new DefaultJsonTypeInfoResolver(), PropertyNameCaseInsensitive = true };

        // A known variant finds it so.
        var known = JsonSerializer.Deserialize<LeaseEvent>(json.Replace("lease_stolen", "lease_expired", StringComparison.Ordinal), options)!;
        var unknown = Assert.IsType<LeaseEvent.Unknown>(JsonSerializer.Deserialize<LeaseEvent>(json, options));

        Assert.Equal(expected, unknown.ExecutionId);
        Assert.Equal(json, JsonSerializer.Serialize<LeaseEvent>(unknown, options));
        if (!json.Contains("EXECUTION_ID", StringComparison.Ordinal))
        {
            Assert.Equal(expected, known.ExecutionId);
        }
    }

    [Fact]
    public void Read_case_sensitively_a_name_in_another_case_is_not_the_shared_property()
    {
        var options = new JsonSerializerOptions { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };

        var unknown = Assert.IsType<LeaseEvent.Unknown>(JsonSerializer.Deserialize<LeaseEvent>("""{"type":"lease_stolen","Execution_Id":"e-1"}""", options));

        Assert.Throws<InvalidOperationException>(() => unknown.ExecutionId);
    }
}
