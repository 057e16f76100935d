using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Reactive.Streams.Hosting.Tests;

/// <summary>What a user of Microsoft.Extensions.Hosting expects of the registration, the start and the stop.</summary>
public sealed class HostingConventionTests
{
    private sealed class NullSink(string name) : IDeliverySink<int>
    {
        public string Name => name;

        public ValueTask WriteAsync(int item, CancellationToken cancellationToken) => default;
    }

    [Fact]
    public async Task A_dispatcher_without_a_sink_fails_the_start_with_an_options_error_naming_its_section()
    {
        await using var test = new TestHost();
        test.Builder.Services.AddReactiveStreams().AddDispatcher<int>("audit", _ => { });

        var error = await Assert.ThrowsAnyAsync<Exception>(test.StartAsync);

        var validation = Assert.IsType<OptionsValidationException>(error);
        Assert.Contains("ReactiveStreams:Dispatchers:audit: dispatcher 'audit' has no sink", validation.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("file", "file")]
    [InlineData("file", "File")]   // one configuration section, Sinks:file, for both
    public async Task Two_sinks_of_one_name_fail_the_start_with_an_options_error_naming_the_sink_section(string first, string second)
    {
        await using var test = new TestHost();
        test.Builder.Services.AddReactiveStreams().AddDispatcher<int>("audit", d => d.AddSink(_ => new NullSink(first)).AddSink(_ => new NullSink(second)));

        var error = await Assert.ThrowsAnyAsync<Exception>(test.StartAsync);

        var validation = Assert.IsType<OptionsValidationException>(error);
        Assert.Contains($"ReactiveStreams:Dispatchers:audit:Sinks:{second}: ", validation.Message, StringComparison.Ordinal);
        Assert.Contains("unique", validation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sink_without_a_name_fails_the_start_with_an_options_error_naming_the_sinks_section()
    {
        await using var test = new TestHost();
        test.Builder.Services.AddReactiveStreams().AddDispatcher<int>("audit", d => d.AddSink(_ => new NullSink("file")).AddSink(_ => new NullSink("")));

        var error = await Assert.ThrowsAnyAsync<Exception>(test.StartAsync);

        var validation = Assert.IsType<OptionsValidationException>(error);
        Assert.Contains("ReactiveStreams:Dispatchers:audit:Sinks: sink #1 (NullSink) has no name", validation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_checks_without_the_registration_say_that_AddReactiveStreams_is_missing()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddHealthChecks().AddReactiveStreams();
        await using var provider = services.BuildServiceProvider();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => provider.GetRequiredService<HealthCheckService>().CheckHealthAsync());

        Assert.Contains("AddReactiveStreams", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stop_with_a_cancelled_token_returns_and_the_worker_ends_stopped()
    {
        await using var test = new TestHost();
        test.Builder.Services.AddReactiveStreams()
            .AddDispatcher<int>("audit", d => d.AddSink(_ => new NullSink("file")))
            .AddCanalWorker("orders", "audit", _ => 1);
        var host = await test.StartAsync();
        var worker = host.Services.GetRequiredKeyedService<CanalWorkerService>("orders");

        await host.StopAsync(new CancellationToken(canceled: true)).WaitAsync(TestHost.Hang);

        // BackgroundService runs ExecuteAsync through Task.Run with the stopping token, so a stop that comes first leaves
        // a cancelled task that never ran: the worker is stopped either way, and nothing failed.
        Assert.NotNull(worker.ExecuteTask);
        await Task.WhenAny(worker.ExecuteTask!).WaitAsync(TestHost.Hang);
        Assert.Equal(CanalWorkerStatus.Stopped, worker.Status);
        Assert.Null(worker.Fault);
    }

    [Fact]
    public async Task A_worker_stopped_before_it_started_is_stopped()
    {
        await using var test = new TestHost();
        test.Builder.Services.AddReactiveStreams().AddCanalWorker<RecordingHandler>("orders");
        using var host = test.Builder.Build();
        var worker = host.Services.GetRequiredKeyedService<CanalWorkerService>("orders");

        await worker.StopAsync(new CancellationToken(canceled: true));
        await host.StopAsync();

        Assert.Equal(CanalWorkerStatus.Stopped, worker.Status);
        Assert.False(File.Exists(test.DatabasePath), "a host that never started opened its log");
    }

    [Fact]
    public async Task Workers_and_dispatchers_log_under_the_categories_and_event_ids_the_docs_name()
    {
        await using var test = new TestHost();
        test.Builder.Services.AddReactiveStreams()
            .AddDispatcher<int>("audit", d => d.AddSink(_ => new NullSink("file")))
            .AddCanalWorker("orders", "audit", _ => 1);
        var host = await test.StartAsync();
        await test.Logs.WaitForAsync(7001);

        await host.StopAsync().WaitAsync(TestHost.Hang);

        const string worker = "Reactive.Streams.Hosting.CanalWorkerService";
        const string dispatcher = "Reactive.Streams.DeliveryDispatcher";
        Assert.Contains(test.Logs.Entries, e => e.Id.Id == 7001 && e.Category == worker && e.Level == Microsoft.Extensions.Logging.LogLevel.Information);
        Assert.Contains(test.Logs.Entries, e => e.Id.Id == 7002 && e.Category == worker && e.Message.Contains("'orders'", StringComparison.Ordinal));
        Assert.Contains(test.Logs.Entries, e => e.Id.Id == 7005 && e.Category == dispatcher && e.Message.Contains("'audit'", StringComparison.Ordinal)
            && e.Message.Contains(DispatcherHostOptions.DefaultDrainTimeout.ToString(), StringComparison.Ordinal));
        Assert.Equal(TimeSpan.FromSeconds(15), DispatcherHostOptions.DefaultDrainTimeout);
        Assert.DoesNotContain(test.Logs.Entries, e => e.Id.Id == 7006);
    }
}
