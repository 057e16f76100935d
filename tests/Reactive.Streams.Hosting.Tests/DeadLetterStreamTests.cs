using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace Reactive.Streams.Hosting.Tests;

/// <summary>What <c>UseDeadLetterStream</c> writes for an item, as docs/hosting.md describes the frame.</summary>
public sealed class DeadLetterStreamTests
{
    private sealed class RefusingSink(string message) : IDeliverySink<byte[]>
    {
        public string Name => "archive";

        public ValueTask WriteAsync(byte[] item, CancellationToken cancellationToken) =>
            throw new PermanentDeliveryException(message);
    }

    private static async Task<JsonElement> DeadLetterOfAsync(byte[] payload, string message = "archive refuses it")
    {
        await using var test = new TestHost(new() { ["ReactiveStreams:Dispatchers:archive:MaxRetries"] = "0" });
        test.Builder.Services.AddReactiveStreams()
            .AddDispatcher<byte[]>("archive", d => d.AddSink(_ => new RefusingSink(message)).UseDeadLetterStream("archive.dead", item => item));
        var host = await test.StartAsync();
        var dispatcher = host.Services.GetRequiredKeyedService<DeliveryDispatcher<byte[]>>("archive");

        await dispatcher.DispatchAsync(payload);
        Assert.True(await dispatcher.ShutdownAsync(TestHost.Hang));

        var log = host.Services.GetRequiredService<IStreamLog>();
        var dead = Assert.Single(await log.ReadAsync("archive.dead", StreamId.Min, StreamId.Max, 10));
        using var letter = JsonDocument.Parse(dead.Payload);
        Assert.Equal("archive", letter.RootElement.GetProperty("sink").GetString());
        return letter.RootElement.Clone();
    }

    [Fact]
    public async Task A_binary_item_that_is_not_utf8_text_is_kept_byte_for_byte_in_base64()
    {
        // Arbitrary bytes (a protobuf frame, say): rendered as UTF-8 text they became U+FFFD, and the dead letter, the
        // durable copy kept for replay, no longer held the item.
        byte[] payload = [0x08, 0x96, 0x01, 0xFF, 0x00, 0xC3];

        var letter = await DeadLetterOfAsync(payload);

        Assert.Equal("base64", letter.GetProperty("itemEncoding").GetString());
        Assert.Equal(payload, letter.GetProperty("item").GetBytesFromBase64());
    }

    [Fact]
    public async Task A_json_looking_item_with_invalid_utf8_in_a_string_is_kept_in_base64_and_the_letter_stays_valid_json()
    {
        byte[] payload = [(byte)'"', 0xFF, 0xFE, (byte)'"'];

        var letter = await DeadLetterOfAsync(payload);

        Assert.Equal("base64", letter.GetProperty("itemEncoding").GetString());
        Assert.Equal(payload, letter.GetProperty("item").GetBytesFromBase64());
    }

    [Fact]
    public async Task An_error_message_cut_inside_a_surrogate_pair_still_makes_a_dead_letter()
    {
        // A message built from user data cut at a length ("sku 🚀"[..5]) ends in half a surrogate pair.
        var message = "refused sku \ud83d";

        var letter = await DeadLetterOfAsync([1, 2, 3], message);

        Assert.StartsWith("refused sku ", letter.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(typeof(PermanentDeliveryException).FullName, letter.GetProperty("error").GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_json_item_is_embedded_and_a_text_item_is_a_string_with_no_encoding_field()
    {
        var json = await DeadLetterOfAsync(Encoding.UTF8.GetBytes("{\"id\":7,\"sku\":\"A-1\"}"));
        Assert.Equal(7, json.GetProperty("item").GetProperty("id").GetInt32());
        Assert.False(json.TryGetProperty("itemEncoding", out _));

        var text = await DeadLetterOfAsync(Encoding.UTF8.GetBytes("order 7: A-1 ✓"));
        Assert.Equal("order 7: A-1 ✓", text.GetProperty("item").GetString());
        Assert.False(text.TryGetProperty("itemEncoding", out _));
    }
}
