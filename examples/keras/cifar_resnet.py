"""A small residual network for CIFAR-10 in Keras (functional API), with squeeze-and-excitation.

Robustness Lens counts it as Keras does (BatchNormalization's moving mean and variance are
non-trainable weights in the total) and checks it against the RobArch guidelines.
"""
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

WIDTHS = [64, 128, 256]
DEPTHS = [2, 2, 2]


def bottleneck(x, width_in, width_out, stride):
    inner = width_out // 4
    y = layers.Conv2D(inner, 1, use_bias=False)(x)
    y = layers.Activation("swish")(y)
    y = layers.Conv2D(inner, 3, strides=stride, padding="same", use_bias=False)(y)
    y = layers.BatchNormalization()(y)
    y = layers.Activation("swish")(y)
    # Squeeze-and-excitation between the last two convs.
    s = layers.GlobalAveragePooling2D(keepdims=True)(y)
    s = layers.Conv2D(width_in // 4, 1, activation="relu")(s)
    s = layers.Conv2D(inner, 1, activation="sigmoid")(s)
    y = layers.Multiply()([y, s])
    y = layers.Conv2D(width_out, 1, use_bias=False)(y)
    y = layers.BatchNormalization()(y)
    shortcut = x
    if stride != 1 or width_in != width_out:
        shortcut = layers.Conv2D(width_out, 1, strides=stride, use_bias=False)(x)
        shortcut = layers.BatchNormalization()(shortcut)
    return layers.Activation("swish")(layers.Add()([y, shortcut]))


def build_model(num_classes=10):
    inputs = keras.Input(shape=(32, 32, 3))
    x = layers.Conv2D(96, 7, strides=1, padding="same", use_bias=False)(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    width = 96
    for depth, width_out in zip(DEPTHS, WIDTHS):
        for i in range(depth):
            x = bottleneck(x, width if i == 0 else width_out, width_out, 2 if i == 0 else 1)
        width = width_out
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(num_classes)(x)
    return keras.Model(inputs, outputs, name="cifar_resnet_se")
