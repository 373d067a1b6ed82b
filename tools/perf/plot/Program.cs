using ChatRoom.PerfPlot;

return PlotCommand.Run(args, Console.Out, Console.Error);
