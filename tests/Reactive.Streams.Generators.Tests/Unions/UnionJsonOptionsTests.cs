using System.Text.Json;
using System.Text.Json.Serialization;
using Reactive.Streams.Generators.Tests.Fixtures;

namespace Reactive.Streams.Generators.Tests.Unions;

/// <summary>
/// The options System.Text.Json honours on a polymorphic hierarchy are honoured by the generated converter too:
/// compared with <c>[JsonPolymorphic]</c> on the same hierarchy under the same options (snake_case, the converter's own
/// naming, as the policy), byte for byte where they write and value for value where they read.
/// </summary>
public sealed class UnionJsonOptionsTests
{
    private static readonly DateTimeOffset s_at = new(2026, 11, 22, 13, 0, 0, TimeSpan.Zero);

    public static TheoryData<int> Samples => new() { 0, 1, 2, 3 };

    [Theory]
    [MemberData(nameof(Samples))]
    public void WhenWritingNull_leaves_nulls_out_as_polymorphic_serialization_does(int sample)
    {
        var (ours, theirs) = Sample(sample);
        var options = Options(o => o.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull);

        var json = JsonSerializer.Serialize(ours, options.Ours);

        Assert.Equal(JsonSerializer.Serialize(theirs, options.Theirs), json);
        Assert.Equal(ours, JsonSerializer.Deserialize<LeaseEvent>(json, options.Ours));
    }

    public static TheoryData<int> DefaultSamples => new() { 0, 1, 2, 3, 4, 5 };

    [Theory]
    [MemberData(nameof(DefaultSamples))]
    public void WhenWritingDefault_leaves_default_values_out_as_polymorphic_serialization_does(int sample)
    {
        var (ours, theirs) = DefaultSample(sample);
        var options = Options(o => o.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault);

        var json = JsonSerializer.Serialize(ours, options.Ours);

        Assert.Equal(JsonSerializer.Serialize(theirs, options.Theirs), json);
    }

    [Fact]
    public void WhenWritingDefault_leaves_out_a_default_struct_and_a_zero_but_writes_a_nullable_zero()
    {
        var options = Options(o => o.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault);

        var json = JsonSerializer.Serialize<LeaseEvent>(new LeaseEvent.Revoked(default, "exec-3", default, "admin", 0), options.Ours);

        Assert.Equal("""{"type":"revoked","execution_id":"exec-3","by":"admin","attempt":0}""", json);
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Without_an_ignore_condition_nulls_are_written_as_polymorphic_serialization_does(int sample)
    {
        var (ours, theirs) = Sample(sample);
        var options = Options(static _ => { });

        Assert.Equal(JsonSerializer.Serialize(theirs, options.Theirs), JsonSerializer.Serialize(ours, options.Ours));
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void A_naming_policy_names_the_properties_as_it_does_on_any_object(int sample)
    {
        var (ours, theirs) = Sample(sample);
        var options = Options(static o => o.PropertyNamingPolicy = JsonNamingPolicy.CamelCase);

        var json = JsonSerializer.Serialize(ours, options.Ours);

        Assert.Equal(JsonSerializer.Serialize(theirs, options.Theirs), json);
        Assert.Contains("\"executionId\"", json, StringComparison.Ordinal);
        Assert.Equal(ours, JsonSerializer.Deserialize<LeaseEvent>(json, options.Ours));
    }

    [Fact]
    public void Under_a_naming_policy_an_unknown_variant_still_fills_the_shared_accessors()
    {
        const string Json = """{"type":"lease_stolen","cursor":{"milliseconds":9,"sequence":1},"executionId":"exec-7","at":"2026-11-22T13:00:00+00:00"}""";
        var options = Options(static o => o.PropertyNamingPolicy = JsonNamingPolicy.CamelCase);

        var unknown = Assert.IsType<LeaseEvent.Unknown>(JsonSerializer.Deserialize<LeaseEvent>(Json, options.Ours));

        Assert.Equal("exec-7", unknown.ExecutionId);
        Assert.Equal(s_at, unknown.At);
    }

    [Fact]
    public void PropertyNameCaseInsensitive_reads_names_in_any_case()
    {
        const string Json = """{"type":"revoked","CURSOR":{"milliseconds":4,"sequence":7},"Execution_Id":"exec-3","AT":"2026-11-22T13:00:00+00:00","By":"admin","attempt":2}""";
        var insensitive = Options(static o => o.PropertyNameCaseInsensitive = true);
        var sensitive = Options(static _ => { });

        var read = JsonSerializer.Deserialize<LeaseEvent>(Json, insensitive.Ours);

        Assert.Equal(new LeaseEvent.Revoked(new Cursor(4, 7), "exec-3", s_at, "admin", 2), read);
        Assert.Equal(new MirrorLease.Revoked(new Cursor(4, 7), "exec-3", s_at, "admin", 2), JsonSerializer.Deserialize<MirrorLease>(Json, insensitive.Theirs));
        var error = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<LeaseEvent>(Json, sensitive.Ours));
        Assert.Contains("The LeaseEvent variant 'revoked' needs a non-null", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnmappedMemberHandling_Disallow_rejects_a_property_the_variant_does_not_have()
    {
        const string Json = """{"type":"revoked","cursor":{"milliseconds":4,"sequence":7},"execution_id":"exec-3","at":"2026-11-22T13:00:00+00:00","by":"admin","attempt":null,"extra":1}""";
        var disallow = Options(static o => o.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow);
        var skip = Options(static _ => { });

        var error = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<LeaseEvent>(Json, disallow.Ours));
        Assert.Contains("'extra' is not a property of LeaseEvent.Revoked", error.Message, StringComparison.Ordinal);
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<MirrorLease>(Json, disallow.Theirs));
        Assert.Equal(new LeaseEvent.Revoked(new Cursor(4, 7), "exec-3", s_at, "admin", null), JsonSerializer.Deserialize<LeaseEvent>(Json, skip.Ours));
    }

    [Fact]
    public void UnmappedMemberHandling_Disallow_still_reads_the_discriminator_after_the_other_properties()
    {
        const string Json = """{"cursor":{"milliseconds":3,"sequence":0},"execution_id":"exec-2","at":"2026-11-22T13:00:00+00:00","type":"lease_expired"}""";
        var disallow = Options(static o => o.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow);

        Assert.Equal(new LeaseEvent.Expired(new Cursor(3, 0), "exec-2", s_at), JsonSerializer.Deserialize<LeaseEvent>(Json, disallow.Ours));
    }

    public static TheoryData<string> AbsentOptionals => new()
    {
        """{"type":"packed","id":"p-1"}""",
        """{"type":"packed","id":"p-1","boxes":4,"note":"fragile"}""",
        """{"type":"packed","id":"p-1","carrier":"ship","size":0,"weight":1.0,"priority":null,"ratio":0.5,"limit":9}""",
        """{"type":"lost","id":"p-2"}""",
    };

    [Theory]
    [MemberData(nameof(AbsentOptionals))]
    public void An_absent_optional_parameter_reads_as_its_declared_default_as_polymorphic_serialization_does(string json)
    {
        var (ours, theirs) = ParcelOptions(static _ => { });

        var read = JsonSerializer.Deserialize<ParcelEvent>(json, ours)!;

        var mirror = JsonSerializer.Deserialize<MirrorParcel>(json, theirs)!;
        Assert.Equal(JsonSerializer.Serialize(mirror, theirs), JsonSerializer.Serialize(read, ours));
        if (json == """{"type":"packed","id":"p-1"}""")
        {
            Assert.Equal(new ParcelEvent.Packed("p-1"), read);
            Assert.Equal(3, ((ParcelEvent.Packed)read).Priority);
            Assert.Equal(-0.25, ((ParcelEvent.Packed)read).Ratio);
        }
    }

    [Theory]
    [MemberData(nameof(AbsentOptionals))]
    public void RespectRequiredConstructorParameters_requires_only_the_parameters_without_a_default(string json)
    {
        var (ours, theirs) = ParcelOptions(static o => o.RespectRequiredConstructorParameters = true);

        Assert.Equal(
            JsonSerializer.Serialize(JsonSerializer.Deserialize<MirrorParcel>(json, theirs), theirs),
            JsonSerializer.Serialize(JsonSerializer.Deserialize<ParcelEvent>(json, ours), ours));
    }

    [Theory]
    [InlineData("""{"type":"packed","boxes":2}""")]
    [InlineData("""{"type":"lost","at":"2026-11-22T13:00:00+00:00"}""")]
    public void RespectRequiredConstructorParameters_rejects_an_absent_parameter_without_a_default(string json)
    {
        var (ours, theirs) = ParcelOptions(static o => o.RespectRequiredConstructorParameters = true);

        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<MirrorParcel>(json, theirs));
        var error = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<ParcelEvent>(json, ours));
        Assert.Contains("\"id\"", error.Message, StringComparison.Ordinal);

        // Without the option an absent value type reads as its default on both; an absent reference is an error for the union.
        var (lenient, lenientMirror) = ParcelOptions(static _ => { });
        Assert.Equal(new MirrorParcel.Packed(null!, Boxes: 2), JsonSerializer.Deserialize<MirrorParcel>("""{"type":"packed","boxes":2}""", lenientMirror));
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<ParcelEvent>("""{"type":"packed","boxes":2}""", lenient));
    }

    [Fact]
    public void RespectNullableAnnotations_refuses_to_write_a_null_the_declaration_does_not_allow()
    {
        var (ours, theirs) = ParcelOptions(static o => o.RespectNullableAnnotations = true);

        Assert.Throws<JsonException>(() => JsonSerializer.Serialize<MirrorParcel>(new MirrorParcel.Packed(null!), theirs));
        var error = Assert.Throws<JsonException>(() => JsonSerializer.Serialize<ParcelEvent>(new ParcelEvent.Packed(null!), ours));
        Assert.Contains("\"id\"", error.Message, StringComparison.Ordinal);

        // A null the declaration allows is written by both; without the option both write the disallowed null too.
        Assert.Equal(
            JsonSerializer.Serialize<MirrorParcel>(new MirrorParcel.Packed("p", Note: null, Priority: null), theirs),
            JsonSerializer.Serialize<ParcelEvent>(new ParcelEvent.Packed("p", Note: null, Priority: null), ours));
        var (plain, plainMirror) = ParcelOptions(static _ => { });
        Assert.Equal(
            JsonSerializer.Serialize<MirrorParcel>(new MirrorParcel.Packed(null!), plainMirror),
            JsonSerializer.Serialize<ParcelEvent>(new ParcelEvent.Packed(null!), plain));
    }

    [Fact]
    public void ReferenceHandler_Preserve_is_refused_with_an_error_that_names_it_and_IgnoreCycles_writes_as_without_one()
    {
        var (ours, _) = ParcelOptions(static o => o.ReferenceHandler = ReferenceHandler.Preserve);

        var writing = Assert.Throws<NotSupportedException>(() => JsonSerializer.Serialize<ParcelEvent>(new ParcelEvent.Packed("p"), ours));
        Assert.Contains("ReferenceHandler.Preserve", writing.Message, StringComparison.Ordinal);
        Assert.Throws<NotSupportedException>(() => JsonSerializer.Deserialize<ParcelEvent>("""{"type":"lost","id":"p"}""", ours));

        var (cycles, cyclesMirror) = ParcelOptions(static o => o.ReferenceHandler = ReferenceHandler.IgnoreCycles);
        Assert.Equal(
            JsonSerializer.Serialize<MirrorParcel>(new MirrorParcel.Packed("p", Note: "n"), cyclesMirror),
            JsonSerializer.Serialize<ParcelEvent>(new ParcelEvent.Packed("p", Note: "n"), cycles));
    }

    [Fact]
    public void A_custom_naming_policy_names_the_properties_as_it_does_on_any_object()
    {
        var (ours, theirs) = ParcelOptions(static o => o.PropertyNamingPolicy = new UpperPolicy());
        var value = new ParcelEvent.Packed("p", Boxes: 2, Note: "n");

        var json = JsonSerializer.Serialize<ParcelEvent>(value, ours);

        Assert.Equal(JsonSerializer.Serialize<MirrorParcel>(new MirrorParcel.Packed("p", Boxes: 2, Note: "n"), theirs), json);
        Assert.Contains("\"BOXES\":2", json, StringComparison.Ordinal);
        Assert.Equal(value, JsonSerializer.Deserialize<ParcelEvent>(json, ours));
    }

    [Fact]
    public void AllowDuplicateProperties_off_rejects_a_property_met_twice_and_on_the_last_one_wins()
    {
        const string Json = """{"type":"packed","id":"p","boxes":2,"boxes":5}""";
        var (strict, strictMirror) = ParcelOptions(static o => o.AllowDuplicateProperties = false);

        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<MirrorParcel>(Json, strictMirror));
        var error = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<ParcelEvent>(Json, strict));
        Assert.Contains("\"boxes\" twice", error.Message, StringComparison.Ordinal);

        var (lenient, lenientMirror) = ParcelOptions(static _ => { });
        Assert.Equal(5, ((MirrorParcel.Packed)JsonSerializer.Deserialize<MirrorParcel>(Json, lenientMirror)!).Boxes);
        Assert.Equal(new ParcelEvent.Packed("p", Boxes: 5), JsonSerializer.Deserialize<ParcelEvent>(Json, lenient));
    }

    // An unknown variant keeps its object as a JsonElement; with AllowDuplicateProperties off it took one with a property
    // twice (and wrote it back so), where System.Text.Json refuses that object read as a JsonElement under the same options.
    [Theory]
    [InlineData("""{"type":"lease_stolen","id":"p","boxes":2,"boxes":5}""")]
    [InlineData("""{"type":"lease_stolen","id":"p","box":{"size":1,"size":2}}""")]
    [InlineData("""{"type":"lease_stolen","id":"p","boxes":[{"a":1},{"a":1,"a":1}]}""")]
    public void AllowDuplicateProperties_off_rejects_an_unknown_variant_with_a_property_twice_as_it_rejects_a_JsonElement(string json)
    {
        var (strict, _) = ParcelOptions(static o => o.AllowDuplicateProperties = false);
        var (lenient, _) = ParcelOptions(static _ => { });

        var theirs = Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<JsonElement>(json, strict));
        var ours = Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<ParcelEvent>(json, strict));

        Assert.StartsWith(theirs.Message[..theirs.Message.IndexOf(" encountered", StringComparison.Ordinal)], ours.Message, StringComparison.Ordinal);
        Assert.Equal(json, JsonSerializer.Serialize(JsonSerializer.Deserialize<ParcelEvent>(json, lenient), lenient));
    }

    // The discriminator twice: System.Text.Json refuses a second "type" whatever its value, its place and the options
    // (a duplicate metadata property, or with AllowOutOfOrderMetadataProperties off a metadata property that is not
    // first, or no discriminator first at all); AllowDuplicateProperties, which concerns properties, does not change it.
    public static TheoryData<string, bool, bool> DiscriminatorTwice
    {
        get
        {
            string[] jsons =
            [
                """{"type":"packed","type":"packed","id":"p"}""",
                """{"type":"packed","type":"lost","id":"p"}""",
                """{"type":"packed","id":"p","type":"packed"}""",
                """{"type":"lost","id":"p","type":"packed"}""",
                """{"id":"p","type":"packed","type":"packed"}""",
                """{"id":"p","type":"lost","boxes":2,"type":"packed"}""",
                """{"type":"lease_stolen","type":"lease_stolen","id":"p"}""",
                """{"type":"lease_stolen","id":"p","type":"packed"}""",
            ];
            var data = new TheoryData<string, bool, bool>();
            foreach (var json in jsons)
            {
                foreach (var allowDuplicates in new[] { true, false })
                {
                    foreach (var outOfOrder in new[] { true, false })
                    {
                        data.Add(json, allowDuplicates, outOfOrder);
                    }
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(DiscriminatorTwice))]
    public void The_discriminator_twice_is_an_error_as_for_polymorphic_serialization_whatever_the_options(string json, bool allowDuplicates, bool outOfOrder)
    {
        var (ours, theirs) = ParcelOptions(o =>
        {
            o.AllowDuplicateProperties = allowDuplicates;
            o.AllowOutOfOrderMetadataProperties = outOfOrder;
        });

        var mirror = Record.Exception(() => JsonSerializer.Deserialize<MirrorParcel>(json, theirs));
        Assert.True(mirror is JsonException or NotSupportedException, $"the mirror read it: {mirror}");
        var error = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<ParcelEvent>(json, ours));
        Assert.Contains("\"type\" twice", error.Message, StringComparison.Ordinal);
    }

    // A naming policy that gave a property the discriminator's name made the union write "type" twice, an object its own
    // reader then refused (the discriminator twice); System.Text.Json refuses the hierarchy under such options.
    [Fact]
    public void A_policy_that_names_a_property_like_the_discriminator_is_refused_as_STJ_refuses_it()
    {
        var (ours, theirs) = ParcelOptions(static o => o.PropertyNamingPolicy = new CarrierIsTypePolicy());

        var theirError = Assert.Throws<InvalidOperationException>(() => JsonSerializer.Serialize<MirrorParcel>(new MirrorParcel.Packed("p"), theirs));
        var ourError = Assert.Throws<InvalidOperationException>(() => JsonSerializer.Serialize<ParcelEvent>(new ParcelEvent.Packed("p"), ours));

        Assert.Contains("'type'", theirError.Message, StringComparison.Ordinal);
        Assert.Contains("'type'", ourError.Message, StringComparison.Ordinal);
        Assert.Contains("Carrier", ourError.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => JsonSerializer.Deserialize<MirrorParcel>("""{"type":"packed","id":"p"}""", theirs));
        Assert.Throws<InvalidOperationException>(() => JsonSerializer.Deserialize<ParcelEvent>("""{"type":"packed","id":"p"}""", ours));
    }

    private sealed class CarrierIsTypePolicy : JsonNamingPolicy
    {
        public override string ConvertName(string name) => name == "Carrier" ? "type" : SnakeCaseLower.ConvertName(name);
    }

    private sealed class UpperPolicy : JsonNamingPolicy
    {
        public override string ConvertName(string name) => name.ToUpperInvariant();
    }

    private static (JsonSerializerOptions Ours, JsonSerializerOptions Theirs) ParcelOptions(Action<JsonSerializerOptions> configure)
        => Options(configure, new ParcelEventJsonConverter());

    private static (LeaseEvent Ours, MirrorLease Theirs) Sample(int index) => index switch
    {
        0 => (new LeaseEvent.Acquired(new Cursor(1, 0), "exec-1", "lease-9", s_at), new MirrorLease.Acquired(new Cursor(1, 0), "exec-1", "lease-9", s_at)),
        1 => (new LeaseEvent.Acquired(new Cursor(1, 1), "exec-1", null, s_at), new MirrorLease.Acquired(new Cursor(1, 1), "exec-1", null, s_at)),
        2 => (new LeaseEvent.Revoked(new Cursor(4, 7), "exec-3", s_at, "admin", 2), new MirrorLease.Revoked(new Cursor(4, 7), "exec-3", s_at, "admin", 2)),
        _ => (new LeaseEvent.Revoked(new Cursor(4, 8), "exec-3", s_at, "admin", null), new MirrorLease.Revoked(new Cursor(4, 8), "exec-3", s_at, "admin", null)),
    };

    // Values at their defaults (a default struct, a default DateTimeOffset, a nullable int of zero or null) and not.
    private static (LeaseEvent Ours, MirrorLease Theirs) DefaultSample(int index) => index switch
    {
        0 => (new LeaseEvent.Acquired(default, "exec-1", null, default), new MirrorLease.Acquired(default, "exec-1", null, default)),
        1 => (new LeaseEvent.Acquired(new Cursor(0, 1), "exec-1", "lease-9", s_at), new MirrorLease.Acquired(new Cursor(0, 1), "exec-1", "lease-9", s_at)),
        2 => (new LeaseEvent.Revoked(default, "exec-3", default, "admin", 0), new MirrorLease.Revoked(default, "exec-3", default, "admin", 0)),
        3 => (new LeaseEvent.Revoked(new Cursor(4, 7), "exec-3", s_at, "admin", null), new MirrorLease.Revoked(new Cursor(4, 7), "exec-3", s_at, "admin", null)),
        4 => (new LeaseEvent.Revoked(new Cursor(0, 0), string.Empty, default, string.Empty, 2), new MirrorLease.Revoked(new Cursor(0, 0), string.Empty, default, string.Empty, 2)),
        _ => Sample(index - 5),
    };

    // The same options for both, with snake_case as the policy so the property names agree; ours carries the converter.
    private static (JsonSerializerOptions Ours, JsonSerializerOptions Theirs) Options(Action<JsonSerializerOptions> configure, JsonConverter? converter = null)
    {
        var theirs = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver() };
        configure(theirs);
        var ours = new JsonSerializerOptions(theirs);
        ours.Converters.Add(converter ?? new LeaseEventJsonConverter());
        return (ours, theirs);
    }
}
