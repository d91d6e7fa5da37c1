public enum BerthProtocolModule {}
