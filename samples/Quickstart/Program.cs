Console.WriteLine("Reactive.Streams quickstart");
