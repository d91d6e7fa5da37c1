import BerthCore
import BerthProtocol
import BerthSystem
public enum BerthClientModule {}
